/* tiocsti-probe: tries to push "lxm-tiocsti-injected\n" into the terminal
 * input queue of fds 0, 1 and 2 (TIOCSTI), one character at a time, and
 * prints what each fd is and what the kernel said. Run by test-attach.sh
 * through lxm-attach from a tmux pane: nothing may reach the host's
 * terminal. Static, so it runs in any container. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	static const char inject[] = "lxm-tiocsti-injected\n";

	for (int fd = 0; fd < 3; fd++) {
		char path[64], target[256];
		ssize_t n;
		int r = 0, e = 0;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		for (size_t i = 0; i < sizeof(inject) - 1 && r == 0; i++) {
			r = ioctl(fd, TIOCSTI, &inject[i]);
			e = errno;
		}
		/* on stderr too, so a pipe on stdout still shows the result */
		fprintf(stderr, "fd%d %s: %s\n", fd, target, r == 0 ? "TIOCSTI accepted" : strerror(e));
	}
	return 0;
}
