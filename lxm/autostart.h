/* Which containers lxm-autostart acts on and in what order (pure logic, no
 * I/O: the tool loads the configs and fills the entries).
 *
 * Selection follows lxc-autostart: -a takes every autostart container, -g
 * GROUP the autostart containers in one of the groups ("" stands for "in no
 * group"), neither takes the autostart containers that are in no group. -A
 * also takes containers whose autostart is off (for a shutdown of all).
 * Order: with -g, group by group in the order given (a container in two
 * goes with the first); within that, autostart.order, lower first, then
 * the name. All of it reversed for a shutdown. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lxm_autostart_entry {
	const char *name;
	bool enabled;               /* autostart.enabled */
	int32_t order;              /* autostart.order */
	uint32_t delay;             /* autostart.delay, seconds */
	char *const *groups;        /* autostart.groups */
	size_t n_groups;
};

struct lxm_autostart_select {
	bool all;                   /* -a: groups do not matter */
	bool ignore_auto;           /* -A: autostart.enabled does not matter */
	const char *const *groups;  /* -g values; "" means "in no group" */
	size_t n_groups;
};

/* Split one -g value ("web,db," ) into groups, appended to *groups (a
 * NULL-terminated vector the caller frees with lxm_strv_free). A trailing or
 * doubled comma, or an empty value, adds "" (the no-group set), as
 * lxc-autostart reads "-g onboot,". */
int lxm_autostart_parse_groups(const char *arg, char ***groups, size_t *n);

bool lxm_autostart_selected(const struct lxm_autostart_entry *e, const struct lxm_autostart_select *sel);

/* Compare two entries in start order (order, then name). */
int lxm_autostart_compare(const struct lxm_autostart_entry *a, const struct lxm_autostart_entry *b);

/* The selected entries in start order (reverse: shutdown order), as an array
 * of pointers into entries that the caller frees. Returns the count or
 * -ENOMEM. */
int lxm_autostart_plan(const struct lxm_autostart_entry *entries, size_t n,
		       const struct lxm_autostart_select *sel, bool reverse,
		       const struct lxm_autostart_entry ***ret);
