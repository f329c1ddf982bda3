/* Fuzz the config reader and check the writer against it: whatever parses
 * must format to text that parses again and formats to the same text. */
#include <stddef.h>
#include <stdint.h>

#include "../../lxm/config.h" /* not the build dir's autoconf config.h */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *parse_and_format(const char *text)
{
	struct lxm_config conf;
	struct lxm_error err = { 0 };
	char *out = NULL;

	if (lxm_config_init(&conf) < 0)
		abort();
	if (lxm_config_read_string(&conf, text, "fuzz", &err) < 0) {
		/* every rejection carries a message */
		if (!err.msg[0] || err.code != EINVAL)
			abort();
		lxm_config_free(&conf);
		return NULL;
	}
	(void)lxm_config_validate(&conf, "fuzz", &err);
	if (lxm_config_format(&conf, &out) < 0)
		abort();
	lxm_config_free(&conf);
	return out;
}

/* lxm-cgroup's in-place change of one key (config-edit.c) on any text,
 * config or not: it must stay inside the text and answer 0 with a result
 * or an error without one (whether the result parses, its caller checks) */
static void edit(const char *text)
{
	static const char *const keys[] = { "limits.memory", "limits.cpuset", "hostname" };

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		for (int set = 0; set < 2; set++) {
			char *out = NULL;
			int r = lxm_config_edit_text(text, keys[i], set ? "\"1G\"" : NULL, &out);

			if (r == 0 ? !out : (out || (r != -EINVAL && r != -ENOMEM)))
				abort();
			free(out);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = NULL, *first = NULL, *second = NULL;

	if (size > 64 * 1024)
		return 0;
	text = strndup((const char *)data, size);
	if (!text)
		abort();
	edit(text);
	first = parse_and_format(text);
	if (!first)
		return 0;
	second = parse_and_format(first);
	if (!second) {
		fprintf(stderr, "formatted config does not parse again:\n%s\n", first);
		abort();
	}
	if (!streq(first, second)) {
		fprintf(stderr, "round trip differs:\n--- first\n%s\n--- second\n%s\n", first, second);
		abort();
	}
	return 0;
}
