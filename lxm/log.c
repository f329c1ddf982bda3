#include <fcntl.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"

static struct {
	char prog[64];
	enum lxm_log_level level;
	int fd;
	bool detailed;
} logger = { "lxm", LXM_LOG_WARN, STDERR_FILENO, false };

static const char *const level_names[LXM_LOG_MAX] = {
	[LXM_LOG_ERROR] = "error",
	[LXM_LOG_WARN] = "warn",
	[LXM_LOG_INFO] = "info",
	[LXM_LOG_DEBUG] = "debug",
};

int lxm_log_parse_level(const char *s, enum lxm_log_level *ret)
{
	for (int i = 0; i < LXM_LOG_MAX; i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*ret = i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*ret = LXM_LOG_WARN;
		return 0;
	}
	if (strcasecmp(s, "trace") == 0) {
		*ret = LXM_LOG_DEBUG;
		return 0;
	}
	return -EINVAL;
}

int lxm_log_open(const char *prog, enum lxm_log_level level, const char *file)
{
	snprintf(logger.prog, sizeof(logger.prog), "%s", prog);
	logger.level = level;
	if (file) {
		int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd < 0)
			return -errno;
		logger.fd = fd;
		logger.detailed = true;
	}
	return 0;
}

void lxm_log_set_detailed(bool on)
{
	logger.detailed = on;
}

void lxm_log_set_level(enum lxm_log_level level)
{
	logger.level = level;
}

void lxm_log_to_fd(int fd)
{
	if (logger.fd > STDERR_FILENO && logger.fd != fd)
		close(logger.fd);
	logger.fd = fd;
}

int lxm_log_fd(void)
{
	return logger.fd;
}

void lxm_log_close(void)
{
	if (logger.fd > STDERR_FILENO)
		close(logger.fd);
	logger.fd = -1;
}

bool lxm_log_enabled(enum lxm_log_level level)
{
	return level <= logger.level && logger.fd >= 0;
}

void lxm_log(enum lxm_log_level level, const char *fmt, ...)
{
	char line[2048];
	size_t off = 0;
	va_list ap;
	int saved = errno;

	if (!lxm_log_enabled(level))
		return;
	if (logger.detailed) {
		struct timeval tv;
		struct tm tm;

		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		off = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
		off += (size_t)snprintf(line + off, sizeof(line) - off, ".%06ld %s[%d] %s: ",
					(long)tv.tv_usec, logger.prog, (int)getpid(), level_names[level]);
	} else {
		off = (size_t)snprintf(line, sizeof(line), "%s: ", logger.prog);
	}
	if (off < sizeof(line)) {
		va_start(ap, fmt);
		vsnprintf(line + off, sizeof(line) - off, fmt, ap);
		va_end(ap);
	}
	off = strnlen(line, sizeof(line) - 2);
	line[off++] = '\n';
	(void)!write(logger.fd, line, off);
	errno = saved;
}
