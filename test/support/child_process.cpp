#include "support/child_process.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace rocketmq::test {

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) throw std::runtime_error("ChildProcess: no program given");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // The child's stdout is the pipe's write end (dup2 clears its close-on-exec flag).
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  reader_ = std::thread([this, fd = fds[0]] { read_loop(fd); });
}

ChildProcess::~ChildProcess() {
  kill_and_wait(SIGKILL);
  // The write end is closed once the process is gone (it starts no children of its own).
  if (reader_.joinable()) reader_.join();
}

void ChildProcess::read_loop(int fd) {
  std::string partial;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buffer, static_cast<std::size_t>(n));
    std::vector<std::string> complete;
    std::size_t start = 0;
    for (std::size_t newline; (newline = partial.find('\n', start)) != std::string::npos;
         start = newline + 1) {
      complete.push_back(partial.substr(start, newline - start));
    }
    partial.erase(0, start);
    if (!complete.empty()) {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& line : complete) lines_.push_back(std::move(line));
      changed_.notify_all();
    }
  }
  ::close(fd);
  std::lock_guard<std::mutex> lock(mutex_);
  // A last line without its newline was cut off (killed mid-write): not a complete line.
  eof_ = true;
  changed_.notify_all();
}

bool ChildProcess::reap(bool block, int* status) {
  std::lock_guard<std::mutex> lock(reap_mutex_);
  if (!reaped_) {
    int raw = 0;
    pid_t done;
    do {
      done = ::waitpid(pid_, &raw, block ? 0 : WNOHANG);
    } while (done < 0 && errno == EINTR);
    if (done == pid_) {
      reaped_ = true;
      status_ = raw;
    } else if (done < 0) {
      reaped_ = true;  // not our child any more (cannot happen): nothing left to wait for
      status_ = -1;
    }
  }
  if (reaped_ && status) *status = status_;
  return reaped_;
}

int ChildProcess::kill_and_wait(int signal) {
  {
    std::lock_guard<std::mutex> lock(reap_mutex_);
    if (!reaped_) ::kill(pid_, signal);
  }
  int status = 0;
  reap(true, &status);
  return status;
}

bool ChildProcess::wait_exit(std::chrono::milliseconds deadline, int* status) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!reap(false, status)) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::vector<std::string> ChildProcess::lines() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lines_;
}

std::vector<std::string> ChildProcess::lines_from(std::size_t first) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (first >= lines_.size()) return {};
  return std::vector<std::string>(lines_.begin() + static_cast<std::ptrdiff_t>(first), lines_.end());
}

std::size_t ChildProcess::line_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lines_.size();
}

std::string ChildProcess::wait_line(const std::function<bool(const std::string&)>& predicate,
                                    std::chrono::milliseconds deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  std::size_t checked = 0;
  std::string found;
  changed_.wait_for(lock, deadline, [&] {
    for (; checked < lines_.size(); ++checked) {
      if (predicate(lines_[checked])) {
        found = lines_[checked];
        return true;
      }
    }
    return eof_;
  });
  return found;
}

bool ChildProcess::wait_eof(std::chrono::milliseconds deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, deadline, [&] { return eof_; });
}

}  // namespace rocketmq::test
