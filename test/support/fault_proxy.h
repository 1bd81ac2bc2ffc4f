#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rocketmq::test {

// A TCP proxy between a client and one server (a broker), for the network faults a real broker
// will not produce on command. It listens on `listen_host:listen_port` and forwards every accepted
// connection to `target` ("host:port"), in the mode the test last set:
//   pass        forward both ways;
//   delay       forward both ways, each chunk held back for the given time;
//   black_hole  accept and drop: connections stay open, every byte either way is discarded, and
//               nothing is answered, as behind a dead route (no RST, no FIN). A connection that
//               saw a black hole keeps dropping after pass() (its stream lost bytes, as a
//               connection whose state a firewall forgot); new connections then pass again;
//   reset       every open connection and every new one is closed with a RST.
// Faults only against our own processes on loopback. Thread-safe; one thread per connection.
class FaultProxy {
 public:
  FaultProxy(std::string listen_host, int listen_port, std::string target);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::string address() const { return listen_host_ + ":" + std::to_string(port_); }

  void pass();
  void delay(std::chrono::milliseconds delay);
  void black_hole();
  void reset();

  int accepted() const { return accepted_.load(); }
  // Connections now open through the proxy.
  int open_connections() const;

 private:
  enum class Mode { Pass, Delay, BlackHole, Reset };
  struct Link;

  void accept_loop();
  void serve(const std::shared_ptr<Link>& link);
  Mode mode() const { return mode_.load(); }

  const std::string listen_host_;
  const std::string target_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<Mode> mode_{Mode::Pass};
  std::atomic<std::int64_t> delay_ms_{0};
  std::atomic<std::uint64_t> epoch_{0};  // bumped by reset(): open connections compare theirs
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::thread> workers_;
  std::vector<std::shared_ptr<Link>> links_;
};

}  // namespace rocketmq::test
