#pragma once

#include <pthread.h>

#include <string>

namespace rocketmq::common {

// Names the calling thread "rmq-<what>" (cut to the 15 characters Linux keeps), so that the SDK's
// threads can be told apart in top, gdb and /proc/<pid>/task/*/comm.
inline void set_current_thread_name(const std::string& what) {
  const std::string name = ("rmq-" + what).substr(0, 15);
  pthread_setname_np(pthread_self(), name.c_str());
}

}  // namespace rocketmq::common
