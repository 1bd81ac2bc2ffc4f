#include "support/fake_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace rocketmq::test {
namespace {

bool read_exact(int fd, char* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::recv(fd, data + done, size - done, 0);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

// The descriptor is closed only here, after the serving thread has been joined: closing it while
// that thread sits in recv() would be a race (and the number could be reused under it).
PeerConnection::~PeerConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void PeerConnection::write_raw(const std::string& bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (shut_down_) return;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

void PeerConnection::send(const remoting::RemotingCommand& command, remoting::SerializeType type) {
  write_raw(remoting::encode_frame(command, type));
}

void PeerConnection::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!shut_down_) {
    ::shutdown(fd_, SHUT_RDWR);  // the client sees the connection end; our recv() returns
    shut_down_ = true;
  }
}

FakePeer::FakePeer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket failed");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("bind/listen failed");
  }
  socklen_t length = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakePeer::~FakePeer() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& connection : connections_) connection->close();
    workers.swap(workers_);
  }
  for (auto& worker : workers) worker.join();
  std::lock_guard<std::mutex> lock(mutex_);
  connections_.clear();  // closes the descriptors, now that no thread reads them
}

void FakePeer::accept_loop() {
  while (!stopping_) {
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++accepted_;
    auto connection = std::make_shared<PeerConnection>(fd);
    std::lock_guard<std::mutex> lock(mutex_);
    connections_.push_back(connection);
    workers_.emplace_back([this, connection] { serve(connection); });
  }
}

void FakePeer::serve(std::shared_ptr<PeerConnection> connection) {
  const int fd = connection->fd();
  while (!stopping_) {
    char length_bytes[4];
    if (!read_exact(fd, length_bytes, 4)) return;
    const std::uint32_t length = (std::uint32_t{static_cast<unsigned char>(length_bytes[0])} << 24) |
                                 (std::uint32_t{static_cast<unsigned char>(length_bytes[1])} << 16) |
                                 (std::uint32_t{static_cast<unsigned char>(length_bytes[2])} << 8) |
                                 std::uint32_t{static_cast<unsigned char>(length_bytes[3])};
    std::string payload(length, '\0');
    if (!read_exact(fd, payload.data(), length)) return;
    auto command = remoting::decode_frame_payload(payload);
    ++frames_;
    handler_(*connection, command);
  }
}

FakePeer::Handler FakePeer::echo(remoting::SerializeType type) {
  return [type](PeerConnection& connection, remoting::RemotingCommand& request) {
    if (request.is_oneway()) return;
    auto response = remoting::RemotingCommand::response_to(request, 0);
    response.ext_fields = request.ext_fields;
    response.body = request.body;
    connection.send(response, type);
  };
}

}  // namespace rocketmq::test
