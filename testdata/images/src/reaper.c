/* Starts short-lived children, reaps every child (waitpid(-1)) on SIGCHLD, exits on SIGTERM. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }
static void on_chld(int sig) {
    (void)sig;
    while (waitpid(-1, 0, WNOHANG) > 0) {}
}
int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sigaction(SIGCHLD, &sa, 0);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, 0);
    for (int i = 0; i < 3; i++) {
        if (fork() == 0) _exit(0);
    }
    while (!stop) pause();
    return 0;
}
