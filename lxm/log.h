/* Leveled logging. Library code logs at debug only and returns errors; the
 * caller logs once. */
#pragma once

#include "util.h"

enum lxm_log_level {
	LXM_LOG_ERROR,
	LXM_LOG_WARN,
	LXM_LOG_INFO,
	LXM_LOG_DEBUG,
	LXM_LOG_MAX,
};

/* prog: "lxm-start"; file: NULL for stderr. */
int lxm_log_open(const char *prog, enum lxm_log_level level, const char *file);
/* Monitor log files carry time, pid and a "monitor" tag. */
void lxm_log_set_detailed(bool on);
void lxm_log_set_level(enum lxm_log_level level);
int lxm_log_parse_level(const char *s, enum lxm_log_level *ret);
/* Stop writing to stderr (the monitor after it detaches). */
void lxm_log_to_fd(int fd);
/* Where the log goes: an fd, STDERR_FILENO by default, -1 closed. */
int lxm_log_fd(void);
void lxm_log_close(void);
void lxm_log(enum lxm_log_level level, const char *fmt, ...) _printf_(2, 3);
bool lxm_log_enabled(enum lxm_log_level level);

#define log_error(...) lxm_log(LXM_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) lxm_log(LXM_LOG_WARN, __VA_ARGS__)
#define log_info(...) lxm_log(LXM_LOG_INFO, __VA_ARGS__)
#define log_debug(...) do { if (lxm_log_enabled(LXM_LOG_DEBUG)) lxm_log(LXM_LOG_DEBUG, __VA_ARGS__); } while (0)
