#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace rocketmq::test {

// A program run as a separate process whose stdout is read line by line while it runs, for tests
// that act on a live peer process (kill it with SIGKILL mid-stream). stderr passes through to the
// test's stderr (sanitizer reports land in the test log). The destructor kills a process still
// running (SIGKILL) and reaps it: a failing test never leaves one behind.
//
// Threads: a reader thread of its own appends lines; every member function is thread-safe.
class ChildProcess {
 public:
  // Starts `argv[0]` (a path, not searched in PATH) with `argv`; throws std::runtime_error if it
  // cannot be started.
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }

  // Sends `signal` and waits for the process to end; returns its wait status (as waitpid). A
  // process that had ended already is only reaped.
  int kill_and_wait(int signal);
  // Waits up to `deadline` for the process to end by itself; true when it did (`status` set).
  bool wait_exit(std::chrono::milliseconds deadline, int* status = nullptr);

  // Every complete line read so far (without the newline).
  std::vector<std::string> lines() const;
  std::size_t line_count() const;
  // The lines from index `first` on (for polling a long output without copying all of it).
  std::vector<std::string> lines_from(std::size_t first) const;
  // Waits until some line satisfies `predicate` or `deadline` passes; returns that line or "".
  std::string wait_line(const std::function<bool(const std::string&)>& predicate,
                        std::chrono::milliseconds deadline);
  // Waits until the reader reached the end of the output (the process and its children closed it).
  bool wait_eof(std::chrono::milliseconds deadline);

 private:
  void read_loop(int fd);
  bool reap(bool block, int* status);

  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  bool eof_ = false;
  std::mutex reap_mutex_;
};

}  // namespace rocketmq::test
