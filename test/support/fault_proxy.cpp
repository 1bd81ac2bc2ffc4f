#include "support/fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace rocketmq::test {
namespace {

sockaddr_in parse_ipv4(const std::string& host, int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    throw std::runtime_error("fault proxy: not an IPv4 address: " + host);
  }
  return address;
}

// Closes with a RST instead of a FIN: linger on, zero timeout.
void close_with_reset(int fd) {
  if (fd < 0) return;
  linger option{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof option);
  ::close(fd);
}

bool write_all(int fd, const char* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::send(fd, data + done, size - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

struct FaultProxy::Link {
  int client_fd = -1;
  int server_fd = -1;
  bool poisoned = false;  // saw a black hole: drops for good
  std::uint64_t epoch = 0;
  std::atomic<bool> open{true};
};

FaultProxy::FaultProxy(std::string listen_host, int listen_port, std::string target)
    : listen_host_(std::move(listen_host)), target_(std::move(target)) {
  const auto colon = target_.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("fault proxy: target must be host:port: " + target_);
  parse_ipv4(target_.substr(0, colon), std::stoi(target_.substr(colon + 1)));  // validates
  // Close-on-exec everywhere: the tests start brokers from this process, and a broker that
  // inherited the listening socket or a proxied connection would keep it open after we close it.
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("fault proxy: socket failed");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  auto address = parse_ipv4(listen_host_, listen_port);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 128) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("fault proxy: cannot listen on " + listen_host_ + ":" + std::to_string(listen_port) +
                             ": " + std::to_string(errno));
  }
  socklen_t length = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    workers.swap(workers_);
  }
  for (auto& worker : workers) worker.join();  // each notices stopping_ within one poll period
}

void FaultProxy::pass() { mode_ = Mode::Pass; }

void FaultProxy::delay(std::chrono::milliseconds delay) {
  delay_ms_ = delay.count();
  mode_ = Mode::Delay;
}

void FaultProxy::black_hole() { mode_ = Mode::BlackHole; }

void FaultProxy::reset() {
  ++epoch_;
  mode_ = Mode::Reset;
}

int FaultProxy::open_connections() const {
  std::lock_guard<std::mutex> lock(mutex_);
  int count = 0;
  for (const auto& link : links_) count += link->open.load() ? 1 : 0;
  return count;
}

void FaultProxy::accept_loop() {
  while (!stopping_) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    ++accepted_;
    auto link = std::make_shared<Link>();
    link->client_fd = fd;
    link->epoch = epoch_.load();
    std::lock_guard<std::mutex> lock(mutex_);
    links_.push_back(link);
    workers_.emplace_back([this, link] { serve(link); });
  }
}

void FaultProxy::serve(const std::shared_ptr<Link>& link) {
  auto finish = [&](bool reset) {
    if (reset) {
      close_with_reset(link->client_fd);
      close_with_reset(link->server_fd);
    } else {
      ::close(link->client_fd);
      if (link->server_fd >= 0) ::close(link->server_fd);
    }
    link->open = false;
  };
  const Mode initial = mode();
  if (initial == Mode::Reset) return finish(true);
  if (initial == Mode::BlackHole) {
    link->poisoned = true;  // accepted into the hole: never connected through
  } else {
    const auto colon = target_.rfind(':');
    auto target = parse_ipv4(target_.substr(0, colon), std::stoi(target_.substr(colon + 1)));
    link->server_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (link->server_fd < 0 || ::connect(link->server_fd, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
      return finish(true);  // the server is down: the client sees its connection reset
    }
    int one = 1;
    ::setsockopt(link->server_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(link->client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  std::vector<char> buffer(64 * 1024);
  while (!stopping_) {
    const Mode now = mode();
    if (now == Mode::Reset || epoch_.load() != link->epoch) return finish(true);
    if (now == Mode::BlackHole) link->poisoned = true;
    pollfd fds[2] = {{link->client_fd, POLLIN, 0}, {link->server_fd, POLLIN, 0}};
    const int ready = ::poll(fds, link->server_fd >= 0 ? 2 : 1, 50);
    if (ready < 0 && errno != EINTR) return finish(false);
    if (ready <= 0) continue;
    for (int side = 0; side < 2; ++side) {
      if (fds[side].fd < 0 || (fds[side].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = ::recv(fds[side].fd, buffer.data(), buffer.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return finish(false);  // one side closed: close the other (FIN)
      if (link->poisoned) continue;       // the hole swallows it
      if (mode() == Mode::Delay) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
      const int other = side == 0 ? link->server_fd : link->client_fd;
      if (!write_all(other, buffer.data(), static_cast<std::size_t>(n))) return finish(false);
    }
  }
  finish(false);
}

}  // namespace rocketmq::test
