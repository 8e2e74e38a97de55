/* Handles SIGTERM, starts one child and waits for that pid only (waitpid(pid)): it never
 * waits for any child, so orphans re-parented to it stay zombies. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }
int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, 0);
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, 0, 0);
    while (!stop) pause();
    return 0;
}
