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

#endif
