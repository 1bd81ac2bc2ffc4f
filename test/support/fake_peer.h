#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "remoting/remoting_command.h"

namespace rocketmq::test {

// A hand-written TCP peer on 127.0.0.1 for what a real broker will not do: malformed frames,
// stalls, dropped connections. Each accepted connection gets a thread that reads whole frames and
// passes them to the handler, which answers through the PeerConnection.
class PeerConnection {
 public:
  explicit PeerConnection(int fd) : fd_(fd) {}
  ~PeerConnection();
  void write_raw(const std::string& bytes);
  void send(const remoting::RemotingCommand& command,
            remoting::SerializeType type = remoting::SerializeType::Json);
  // Shuts the connection down (the client sees it end); the descriptor is closed on destruction.
  void close();
  int fd() const { return fd_; }

 private:
  std::mutex mutex_;
  int fd_;
  bool shut_down_ = false;
};

class FakePeer {
 public:
  using Handler = std::function<void(PeerConnection&, remoting::RemotingCommand&)>;

  explicit FakePeer(Handler handler);
  ~FakePeer();

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_.load(); }
  int frames() const { return frames_.load(); }

  // A handler that answers every request with SUCCESS, echoing body and ext fields.
  static Handler echo(remoting::SerializeType type = remoting::SerializeType::Json);

 private:
  void accept_loop();
  void serve(std::shared_ptr<PeerConnection> connection);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> frames_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> workers_;
  std::vector<std::shared_ptr<PeerConnection>> connections_;
};

}  // namespace rocketmq::test
