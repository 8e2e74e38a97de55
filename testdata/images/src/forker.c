/* Starts short-lived children and never waits for them: as PID 1 they stay zombies.
 * It has no signal handler either. */
#include <unistd.h>
int main(void) {
    for (int i = 0; i < 3; i++) {
        if (fork() == 0) _exit(0);
    }
    for (;;) pause();
}
