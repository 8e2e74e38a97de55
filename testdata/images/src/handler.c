/* A server that handles SIGTERM and SIGINT and exits cleanly. */
#include <signal.h>
#include <string.h>
#include <unistd.h>
static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }
int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, 0);
    sigaction(SIGINT, &sa, 0);
    while (!stop) pause();
    return 0;
}
