/* A server with no signal handlers: as PID 1 it ignores SIGTERM (the kernel drops it). */
#include <unistd.h>
int main(void) {
    for (;;) pause();
}
