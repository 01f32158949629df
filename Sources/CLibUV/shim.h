// The one C header SeoulWorld includes for libuv. Functions Swift cannot call directly
// (variadic ones such as uv_loop_configure) get a static inline wrapper here.
#ifndef SEOULWORLD_CLIBUV_SHIM_H
#define SEOULWORLD_CLIBUV_SHIM_H

#include <uv.h>

// uv_loop_configure is variadic; Swift cannot call it. This wrapper covers the one
// option that takes no argument (UV_METRICS_IDLE_TIME, libuv >= 1.39).
static inline int seoulworld_uv_loop_enable_idle_time_metrics(uv_loop_t *loop) {
    return uv_loop_configure(loop, UV_METRICS_IDLE_TIME);
}

// sendmmsg(2): many datagrams in one system call. Glibc declares it only under _GNU_SOURCE,
// which Swift's Glibc module is not built with; so the layout of `struct mmsghdr` (a msghdr
// and the count of bytes sent) is declared here under another name and the function bound to
// glibc's symbol by its assembler name.
#ifdef __linux__
#include <sys/socket.h>
struct seoulworld_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};
extern int seoulworld_sendmmsg(int fd, struct seoulworld_mmsghdr *vector, unsigned int count, int flags) __asm__("sendmmsg");
#endif

#endif
