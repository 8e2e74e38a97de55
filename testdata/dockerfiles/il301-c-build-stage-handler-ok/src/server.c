/* A server that handles SIGTERM and SIGINT and shuts down cleanly, which takes it a moment
 * (as draining connections does). It says on stderr when it gets the signal and when its
 * shutdown is complete, so the ground truth can tell a clean stop from one where the
 * application was SIGKILLed before it finished (or never got the signal). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static volatile sig_atomic_t stop;
static void on_signal(int sig) {
    static const char msg[] = "handler: got the stop signal\n";
    (void)sig;
    (void)!write(2, msg, sizeof msg - 1);
    stop = 1;
}
int main(void) {
    static const char done[] = "handler: clean exit\n";
    struct sigaction sa;
    struct timespec shutdown = {0, 500 * 1000 * 1000};
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, 0);
    sigaction(SIGINT, &sa, 0);
    while (!stop) pause();
    /* The whole half second, even when more signals arrive (dumb-init sends SIGTERM again
     * when its child exits): only then is the shutdown clean. */
    while (nanosleep(&shutdown, &shutdown) == -1 && errno == EINTR) {}
    (void)!write(2, done, sizeof done - 1);
    return 0;
}
