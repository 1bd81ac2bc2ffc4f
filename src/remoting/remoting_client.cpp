#include "remoting/remoting_client.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/log.h"
#include "common/thread_name.h"
#include "rocketmq/error.h"

namespace rocketmq::remoting {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::atomic<std::int32_t> next_opaque{1};

std::pair<std::string, std::string> split_address(const std::string& address) {
  // "host:port" or "[v6]:port"
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    if (close != std::string::npos && close + 2 < address.size() && address[close + 1] == ':') {
      return {address.substr(1, close - 1), address.substr(close + 2)};
    }
  } else if (const auto colon = address.rfind(':'); colon != std::string::npos && colon > 0 &&
                                                    colon + 1 < address.size()) {
    return {address.substr(0, colon), address.substr(colon + 1)};
  }
  throw ClientError("invalid address '" + address + "': expected host:port");
}

// Why a connection closed. Each failed request gets an exception object of its own made from it:
// one exception_ptr shared by several threads is destroyed by whichever lets go last, through a
// reference count ThreadSanitizer cannot see (libstdc++'s is not instrumented).
struct CloseReason {
  enum class Kind { Connect, Protocol, Client } kind = Kind::Connect;
  std::string message;
  // Closed by our own choice (idle, or a request timed out): a request that reaches the closed
  // connection afterwards was never written, and goes to a fresh connection instead of failing.
  bool reopen = false;

  std::exception_ptr make() const {
    switch (kind) {
      case Kind::Protocol:
        return std::make_exception_ptr(ProtocolError(message));
      case Kind::Client:
        return std::make_exception_ptr(ClientError(message));
      default:
        return std::make_exception_ptr(ConnectError(message));
    }
  }
};

}  // namespace

class Connection;

class RemotingClient::Impl : public std::enable_shared_from_this<RemotingClient::Impl> {
 public:
  explicit Impl(RemotingClientOptions options)
      : options_(std::move(options)),
        work_guard_(asio::make_work_guard(io_context_)),
        processor_pool_(options_.processor_threads == 0 ? 1 : options_.processor_threads) {
    if (options_.tls.enabled) tls_context_ = make_tls_context(options_.tls);
    const std::size_t threads = options_.io_threads == 0 ? 1 : options_.io_threads;
    for (std::size_t i = 0; i < threads; ++i) {
      io_threads_.emplace_back([this] {
        common::set_current_thread_name("io");
        io_thread_marker() = this;
        io_context_.run();
      });
    }
  }

  // Throws ClientError naming the file that cannot be used (before any thread exists).
  static std::unique_ptr<asio::ssl::context> make_tls_context(const TlsOptions& tls) {
    auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    // RocketMQ servers (Netty) speak TLS 1.2 and 1.3; nothing older is worth trusting.
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    auto load = [](const char* what, const std::string& path, auto&& step) {
      try {
        step();
      } catch (const boost::system::system_error& error) {
        throw ClientError(std::string("TLS setup: cannot use the ") + what + " '" + path + "': " +
                          error.code().message() + " (PEM expected; a key must belong to the certificate)");
      }
    };
    if (tls.verify_peer) {
      context->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
      if (tls.ca_file.empty()) {
        load("system trust store", "default paths", [&] { context->set_default_verify_paths(); });
      } else {
        load("CA file", tls.ca_file, [&] { context->load_verify_file(tls.ca_file); });
      }
    } else {
      context->set_verify_mode(asio::ssl::verify_none);
      LOG_WARN("TLS peer verification is OFF (set_tls_verify_peer(false)): any server certificate is accepted, "
               "so the connection is encrypted but not authenticated");
    }
    if (!tls.cert_file.empty()) {
      load("certificate file", tls.cert_file, [&] { context->use_certificate_chain_file(tls.cert_file); });
      load("key file", tls.key_file, [&] { context->use_private_key_file(tls.key_file, asio::ssl::context::pem); });
      if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
        throw ClientError("TLS setup: the key file '" + tls.key_file + "' does not match the certificate '" +
                          tls.cert_file + "'");
      }
    }
    return context;
  }

  static const Impl*& io_thread_marker() {
    thread_local const Impl* marker = nullptr;
    return marker;
  }
  // Set while a processor runs, so that an owner letting go there knows not to join this pool.
  static const Impl*& processor_thread_marker() {
    thread_local const Impl* marker = nullptr;
    return marker;
  }

  std::shared_ptr<Connection> connection_for(const std::string& address);
  void forget(const std::string& address, const Connection* connection);
  void shutdown();

  RemotingClientOptions options_;
  asio::io_context io_context_;
  asio::executor_work_guard<asio::io_context::executor_type> work_guard_;
  asio::thread_pool processor_pool_;
  std::unique_ptr<asio::ssl::context> tls_context_;
  std::vector<std::thread> io_threads_;

  std::mutex mutex_;  // guards connections_, processors_ writes, hook_
  std::unordered_map<std::string, std::shared_ptr<Connection>> connections_;
  std::unordered_map<std::int32_t, RequestProcessor> processors_;
  std::shared_ptr<RpcHook> hook_;
  std::atomic<bool> shut_down_{false};
  std::mutex shutdown_mutex_;

  std::atomic<std::size_t> pending_async_{0};
  std::atomic<std::size_t> pending_oneway_{0};
  std::atomic<std::uint64_t> connections_opened_{0};
  std::atomic<std::uint64_t> connect_failures_{0};
  std::atomic<std::uint64_t> frames_sent_{0};
  std::atomic<std::uint64_t> frames_received_{0};
  std::atomic<std::uint64_t> frames_received_binary_{0};
  std::atomic<std::uint64_t> timeouts_{0};
  std::atomic<std::uint64_t> closed_after_timeout_{0};
  std::atomic<std::uint64_t> closed_idle_{0};
  std::atomic<std::uint64_t> late_responses_{0};
  std::atomic<std::uint64_t> malformed_frames_{0};
};

// One TCP (or TLS) connection. Every member is touched only on the connection's strand.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<RemotingClient::Impl> client, std::string address)
      : client_(std::move(client)),
        address_(std::move(address)),
        strand_(asio::make_strand(client_->io_context_)),
        socket_(strand_),
        resolver_(strand_),
        connect_timer_(strand_),
        idle_timer_(strand_),
        deadline_timer_(strand_) {
    if (client_->tls_context_) tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *client_->tls_context_);
  }

  const std::string& address() const { return address_; }

  // Written on the strand, read by last_heard_from() on any thread.
  std::chrono::steady_clock::time_point heard_at() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(heard_at_.load(std::memory_order_relaxed)));
  }

  void start() {
    asio::post(strand_, [self = shared_from_this()] { self->resolve(); });
  }

  // Registers the pending request with its deadline and queues the frame.
  void send_request(std::int32_t opaque, std::string frame, std::chrono::milliseconds timeout,
                    RemotingCommand request_for_hook, ResponseCallback callback) {
    asio::post(strand_, [self = shared_from_this(), opaque, frame = std::move(frame), timeout,
                         request = std::move(request_for_hook), callback = std::move(callback)]() mutable {
      if (self->state_ == State::Closed) {
        if (self->close_reason_.reopen) {
          self->resend_fresh(opaque, std::move(frame), timeout, std::move(request), std::move(callback));
        } else {
          self->complete(std::move(callback), InvokeResult{std::nullopt, self->close_reason_.make()});
        }
        return;
      }
      const auto deadline = std::chrono::steady_clock::now() + timeout;
      self->pending_.emplace(opaque, Pending{std::move(callback), timeout, deadline, std::move(request)});
      self->deadlines_.push(Deadline{deadline, opaque});
      if (self->deadlines_.size() > 2 * self->pending_.size() + 1024) self->rebuild_deadlines();
      if (!self->deadline_armed_for_ || deadline < *self->deadline_armed_for_) self->arm_deadline_timer(deadline);
      self->queue_frame(std::move(frame), false);
    });
  }

  void send_frame(std::string frame, bool oneway) {
    asio::post(strand_, [self = shared_from_this(), frame = std::move(frame), oneway]() mutable {
      if (self->state_ == State::Closed) {
        if (self->close_reason_.reopen) {
          try {
            self->client_->connection_for(self->address_)->send_frame(std::move(frame), oneway);
            return;
          } catch (const std::exception&) {
            // shut down meanwhile: dropped, as on any closed connection
          }
        }
        if (oneway) self->client_->pending_oneway_.fetch_sub(1);
        return;
      }
      self->queue_frame(std::move(frame), oneway);
    });
  }

  void arm_deadline_timer(std::chrono::steady_clock::time_point at) {
    deadline_armed_for_ = at;
    deadline_timer_.expires_at(at);
    deadline_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (error) return;  // re-armed for an earlier deadline, or the connection closed
      self->deadline_armed_for_.reset();
      self->expire_requests();
    });
  }

  // Answered requests' entries stay in the heap until their deadline comes up: with long timeouts
  // and many answers that would be most of it (a minute's sends at 50k msg/s). When it holds twice
  // what is pending it is made again from the pending requests alone (amortised O(1) per request).
  // The timer stays armed: for the earliest pending deadline or earlier, which is harmless.
  void rebuild_deadlines() {
    std::vector<Deadline> live;
    live.reserve(pending_.size());
    for (const auto& [opaque, pending] : pending_) live.push_back(Deadline{pending.deadline, opaque});
    deadlines_ = decltype(deadlines_)(std::greater<>(), std::move(live));
  }

  // Fails every request whose deadline has passed, then arms the timer for the next one.
  void expire_requests() {
    const auto now = std::chrono::steady_clock::now();
    while (state_ != State::Closed && !deadlines_.empty()) {
      const Deadline next = deadlines_.top();
      auto it = pending_.find(next.opaque);
      if (it == pending_.end()) {  // answered meanwhile
        deadlines_.pop();
        continue;
      }
      if (next.at > now) break;
      deadlines_.pop();
      auto callback = std::move(it->second.callback);
      const auto timeout = it->second.timeout;
      pending_.erase(it);
      time_out(std::move(callback), timeout);
    }
    if (state_ != State::Closed && !deadlines_.empty()) arm_deadline_timer(deadlines_.top().at);
  }

  void time_out(ResponseCallback callback, std::chrono::milliseconds timeout) {
    client_->timeouts_.fetch_add(1, std::memory_order_relaxed);
    // Only a connection that stayed silent the whole time is given up: one that answered other
    // requests meanwhile has a live, merely slow peer, and closing it would fail every request
    // in flight on it (a burst of asynchronous sends failed that way when a probe with a short
    // timeout met a broker slowed down by load).
    const bool silent = last_read_ <= std::chrono::steady_clock::now() - timeout;
    if (client_->options_.close_on_timeout && silent) {
      // No answer may mean no peer: the other requests on this connection would wait out their
      // own (longer) timeouts in vain. They fail now, and the connection is forgotten before
      // the caller hears of the timeout, so its next request connects afresh.
      client_->closed_after_timeout_.fetch_add(1, std::memory_order_relaxed);
      const std::string message = "connection to " + address_ + " closed after a request timed out (" +
                                  std::to_string(timeout.count()) + " ms without an answer)";
      LOG_WARN(message);
      close(CloseReason{CloseReason::Kind::Connect, message, true});
    }
    // Made in a statement of its own: the temporary error (whose message string it shares by
    // reference count) is gone before the caller, woken by complete(), reads and drops it.
    auto timed_out = std::make_exception_ptr(
        TimeoutError("request to " + address_ + " timed out after " + std::to_string(timeout.count()) + " ms"));
    complete(std::move(callback), InvokeResult{std::nullopt, std::move(timed_out)});
  }

  void close_async(CloseReason reason) {
    asio::post(strand_, [self = shared_from_this(), reason = std::move(reason)] { self->close(reason); });
  }

  // Runs `done` on the strand after closing (used by shutdown to wait for every connection).
  void close_then(CloseReason reason, std::function<void()> done) {
    asio::post(strand_, [self = shared_from_this(), reason = std::move(reason), done = std::move(done)] {
      self->close(reason);
      done();
    });
  }

 private:
  enum class State { Connecting, Open, Closed };

  struct Pending {
    ResponseCallback callback;
    std::chrono::milliseconds timeout;
    std::chrono::steady_clock::time_point deadline;
    RemotingCommand request;  // kept only when a hook wants to see it with the response
  };

  // When a request times out. One timer per connection serves them all, armed for the earliest
  // deadline: a timer per request cost an allocation, two timer-queue updates and a cancelled
  // handler run on the strand for every message sent. Entries of answered requests stay in the
  // heap until their deadline comes up and are skipped then (see rebuild_deadlines).
  struct Deadline {
    std::chrono::steady_clock::time_point at;
    std::int32_t opaque;
    bool operator>(const Deadline& other) const noexcept { return at > other.at; }
  };

  struct OutgoingFrame {
    std::string bytes;
    bool oneway;
  };

  // A request that reached this connection after we closed it on purpose: it goes to the
  // connection now open (or opening) to the same address.
  void resend_fresh(std::int32_t opaque, std::string frame, std::chrono::milliseconds timeout,
                    RemotingCommand request, ResponseCallback callback) {
    std::shared_ptr<Connection> fresh;
    try {
      fresh = client_->connection_for(address_);
    } catch (const std::exception&) {
      auto error = std::make_exception_ptr(ClientError("the remoting client was shut down"));
      complete(std::move(callback), InvokeResult{std::nullopt, std::move(error)});
      return;
    }
    fresh->send_request(opaque, std::move(frame), timeout, std::move(request), std::move(callback));
  }

  void complete(ResponseCallback callback, InvokeResult result) {
    client_->pending_async_.fetch_sub(1, std::memory_order_relaxed);
    try {
      callback(std::move(result));
    } catch (const std::exception& error) {
      LOG_ERROR("response callback for " << address_ << " threw: " << error.what());
    } catch (...) {
      LOG_ERROR("response callback for " << address_ << " threw a non-standard exception");
    }
  }

  void resolve() {
    if (state_ == State::Closed) return;
    std::pair<std::string, std::string> host_port;
    try {
      host_port = split_address(address_);
    } catch (const Error& error) {
      fail_connect(error.what());
      return;
    }
    host_ = host_port.first;
    connect_timer_.expires_after(client_->options_.connect_timeout);
    connect_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (error || self->state_ != State::Connecting) return;
      self->fail_connect("connect to " + self->address_ + " timed out after " +
                         std::to_string(self->client_->options_.connect_timeout.count()) + " ms");
    });
    resolver_.async_resolve(host_port.first, host_port.second,
                            [self = shared_from_this()](const boost::system::error_code& error,
                                                        tcp::resolver::results_type results) {
                              if (self->state_ != State::Connecting) return;
                              if (error) {
                                self->fail_connect("cannot resolve " + self->address_ + ": " + error.message());
                                return;
                              }
                              self->connect(results);
                            });
  }

  void connect(const tcp::resolver::results_type& results) {
    asio::async_connect(socket_, results,
                        [self = shared_from_this()](const boost::system::error_code& error, const tcp::endpoint&) {
                          if (self->state_ != State::Connecting) return;
                          if (error) {
                            self->fail_connect("cannot connect to " + self->address_ + ": " + error.message());
                            return;
                          }
                          boost::system::error_code ignored;
                          self->socket_.set_option(tcp::no_delay(true), ignored);
                          self->enable_keepalive();
                          if (self->tls_) {
                            if (!self->prepare_tls()) return;
                            self->tls_->async_handshake(
                                asio::ssl::stream_base::client,
                                [self](const boost::system::error_code& handshake_error) {
                                  if (self->state_ != State::Connecting) return;
                                  if (handshake_error) {
                                    self->fail_connect(self->handshake_failure(handshake_error));
                                    return;
                                  }
                                  self->on_open();
                                });
                          } else {
                            self->on_open();
                          }
                        });
  }

  // SNI and the name the certificate must carry: tls.server_name, else the host of the address.
  bool prepare_tls() {
    const auto& tls = client_->options_.tls;
    const std::string& name = tls.server_name.empty() ? host_ : tls.server_name;
    SSL* ssl = tls_->native_handle();
    boost::system::error_code not_ip;
    asio::ip::make_address(name, not_ip);
    bool ok = true;
    if (not_ip) {
      ok = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1;
      if (ok && tls.verify_peer) ok = SSL_set1_host(ssl, name.c_str()) == 1;
    } else if (tls.verify_peer) {
      // An IP address is matched against the certificate's IP SANs; SNI carries no addresses.
      ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1;
    }
    if (!ok) fail_connect("TLS setup for " + address_ + ": cannot use '" + name + "' as the server name");
    return ok;
  }

  std::string handshake_failure(const boost::system::error_code& error) {
    std::string message = "TLS handshake with " + address_ + " failed: " + error.message();
    const long verify = SSL_get_verify_result(tls_->native_handle());
    const auto& tls = client_->options_.tls;
    if (verify != X509_V_OK) {
      message += std::string(" (certificate not trusted: ") + X509_verify_cert_error_string(verify) +
                 "; trusted CAs: " + (tls.ca_file.empty() ? "the system trust store" : tls.ca_file) +
                 "; expected name: " + (tls.server_name.empty() ? host_ : tls.server_name) + ")";
    } else if (error == asio::error::eof || error == asio::ssl::error::stream_truncated ||
               error == asio::error::connection_reset) {
      message += " (the server closed the connection during the handshake: does it speak TLS?)";
    } else if (error.category() == asio::error::get_ssl_category() &&
               ERR_GET_REASON(static_cast<unsigned long>(error.value())) == SSL_R_WRONG_VERSION_NUMBER) {
      message += " (the server did not answer with TLS: is it a plaintext server?)";
    }
    return message;
  }

  void enable_keepalive() {
    // Not inherited by programs the application starts: a child holding a copy would keep the
    // connection open after we close it. (Asio opens the socket inside async_connect, so this is
    // the first moment we can set it.)
    ::fcntl(socket_.native_handle(), F_SETFD, FD_CLOEXEC);
    const auto& options = client_->options_;
    if (!options.tcp_keepalive) return;
    boost::system::error_code error;
    socket_.set_option(asio::socket_base::keep_alive(true), error);
    if (error) {
      LOG_WARN("cannot enable TCP keepalive on the connection to " << address_ << ": " << error.message());
      return;
    }
    const int fd = socket_.native_handle();
    const int idle = static_cast<int>(options.keepalive_idle.count());
    const int interval = static_cast<int>(options.keepalive_interval.count());
    const int probes = options.keepalive_probes;
    // Best effort: the system defaults (2 h before the first probe) still apply where these fail.
    if (::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) != 0 ||
        ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval) != 0 ||
        ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes) != 0) {
      LOG_WARN("cannot tune TCP keepalive on the connection to " << address_);
    }
  }

  void touch() { last_activity_ = std::chrono::steady_clock::now(); }

  // Checks idleness at most every idle_timeout: the timer is re-armed for what remains of it.
  void arm_idle_timer(std::chrono::steady_clock::duration after) {
    idle_timer_.expires_after(after);
    idle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (error || self->state_ != State::Open) return;
      const auto limit = self->client_->options_.idle_timeout;
      const auto idle = std::chrono::steady_clock::now() - self->last_activity_;
      if (idle < limit) {
        self->arm_idle_timer(limit - idle);
        return;
      }
      self->client_->closed_idle_.fetch_add(1, std::memory_order_relaxed);
      const std::string message = "connection to " + self->address_ + " closed after " +
                                  std::to_string(limit.count()) + " ms without traffic";
      LOG_INFO(message);
      self->close(CloseReason{CloseReason::Kind::Connect, message, true});
    });
  }

  void on_open() {
    connect_timer_.cancel();
    touch();
    if (client_->options_.idle_timeout.count() > 0) arm_idle_timer(client_->options_.idle_timeout);
    state_ = State::Open;
    client_->connections_opened_.fetch_add(1, std::memory_order_relaxed);
    LOG_DEBUG("connected to " << address_);
    read_buffer_.resize(64 * 1024);
    read_more();
    write_next();
  }

  void fail_connect(const std::string& message) {
    client_->connect_failures_.fetch_add(1, std::memory_order_relaxed);
    LOG_WARN(message);
    close(CloseReason{CloseReason::Kind::Connect, message});
  }

  void queue_frame(std::string frame, bool oneway) {
    write_queue_.push_back(OutgoingFrame{std::move(frame), oneway});
    if (state_ == State::Open && !writing_) write_next();
  }

  void write_next() {
    if (writing_ || write_queue_.empty() || state_ != State::Open) return;
    writing_ = true;
    // Gather what is queued into one write: fewer syscalls under load.
    std::vector<asio::const_buffer> buffers;
    std::size_t count = 0;
    std::size_t bytes = 0;
    for (const auto& frame : write_queue_) {
      buffers.emplace_back(asio::buffer(frame.bytes));
      ++count;
      bytes += frame.bytes.size();
      if (count >= 64 || bytes >= 1024 * 1024) break;
    }
    auto on_written = [self = shared_from_this(), count](const boost::system::error_code& error, std::size_t) {
      self->writing_ = false;
      if (self->state_ == State::Closed) return;
      self->touch();
      if (error) {
        self->close(CloseReason{CloseReason::Kind::Connect, "write to " + self->address_ + " failed: " + error.message()});
        return;
      }
      for (std::size_t i = 0; i < count; ++i) {
        if (self->write_queue_.front().oneway) self->client_->pending_oneway_.fetch_sub(1);
        self->write_queue_.pop_front();
      }
      self->client_->frames_sent_.fetch_add(count, std::memory_order_relaxed);
      self->write_next();
    };
    if (tls_) {
      asio::async_write(*tls_, buffers, std::move(on_written));
    } else {
      asio::async_write(socket_, buffers, std::move(on_written));
    }
  }

  void read_more() {
    if (read_end_ == read_buffer_.size()) {
      // Compact, then grow when one frame needs more room than the buffer has.
      if (read_start_ > 0) {
        std::memmove(read_buffer_.data(), read_buffer_.data() + read_start_, read_end_ - read_start_);
        read_end_ -= read_start_;
        read_start_ = 0;
      }
      if (read_end_ == read_buffer_.size()) read_buffer_.resize(read_buffer_.size() * 2);
    }
    auto buffer = asio::buffer(read_buffer_.data() + read_end_, read_buffer_.size() - read_end_);
    auto on_read = [self = shared_from_this()](const boost::system::error_code& error, std::size_t bytes) {
      if (self->state_ == State::Closed) return;
      if (error) {
        const bool eof = error == asio::error::eof || error == asio::ssl::error::stream_truncated;
        // A TLS-only server drops a plaintext client at its first request, without a byte.
        const bool silent = !self->tls_ && !self->received_any_ &&
                            (eof || error == asio::error::connection_reset);
        self->close(CloseReason{CloseReason::Kind::Connect,
                                "connection to " + self->address_ +
                                    (eof ? std::string(" closed by the peer") : " failed: " + error.message()) +
                                    (self->read_end_ > self->read_start_ ? " in the middle of a frame" : "") +
                                    (silent ? " before any answer (a TLS-only server does this to plaintext "
                                              "clients: is set_tls_enabled(true) needed?)"
                                            : "")});
        return;
      }
      self->touch();
      self->read_end_ += bytes;
      if (bytes > 0) {
        self->received_any_ = true;
        self->last_read_ = std::chrono::steady_clock::now();
        self->heard_at_.store(self->last_read_.time_since_epoch().count(), std::memory_order_relaxed);
      }
      if (self->parse_frames()) self->read_more();
    };
    if (tls_) {
      tls_->async_read_some(buffer, std::move(on_read));
    } else {
      socket_.async_read_some(buffer, std::move(on_read));
    }
  }

  // Returns false when the connection was closed because of a malformed frame.
  bool parse_frames() {
    const std::size_t max_frame = client_->options_.max_frame_size;
    while (read_end_ - read_start_ >= 4) {
      const auto* p = reinterpret_cast<const unsigned char*>(read_buffer_.data() + read_start_);
      const std::uint32_t length = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                   (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
      if (length < 4 || std::uint64_t{length} + 4 > max_frame) {
        malformed("frame length " + std::to_string(length) +
                  (length < 4 ? " is shorter than a header mark" : " exceeds the limit of " + std::to_string(max_frame)));
        return false;
      }
      if (read_end_ - read_start_ < std::size_t{length} + 4) {
        if (read_buffer_.size() < std::size_t{length} + 4) {
          std::memmove(read_buffer_.data(), read_buffer_.data() + read_start_, read_end_ - read_start_);
          read_end_ -= read_start_;
          read_start_ = 0;
          read_buffer_.resize(std::size_t{length} + 4);
        }
        return true;
      }
      RemotingCommand command;
      try {
        command = decode_frame_payload(std::string_view(read_buffer_.data() + read_start_ + 4, length));
      } catch (const ProtocolError& error) {
        malformed(error.what());
        return false;
      }
      if (p[4] == static_cast<unsigned char>(SerializeType::RocketMQ)) {
        client_->frames_received_binary_.fetch_add(1, std::memory_order_relaxed);
      }
      read_start_ += std::size_t{length} + 4;
      client_->frames_received_.fetch_add(1, std::memory_order_relaxed);
      dispatch(std::move(command));
      if (state_ == State::Closed) return false;
    }
    if (read_start_ == read_end_) read_start_ = read_end_ = 0;
    // Give memory back after an unusually large frame.
    if (read_start_ == 0 && read_end_ == 0 && read_buffer_.size() > 1024 * 1024) {
      read_buffer_.resize(64 * 1024);
      read_buffer_.shrink_to_fit();
    }
    return true;
  }

  void malformed(const std::string& reason) {
    client_->malformed_frames_.fetch_add(1, std::memory_order_relaxed);
    const std::string message = "malformed frame from " + address_ + ": " + reason + "; connection closed";
    LOG_WARN(message);
    close(CloseReason{CloseReason::Kind::Protocol, message});
  }

  void dispatch(RemotingCommand command) {
    if (command.is_response()) {
      auto it = pending_.find(command.opaque);
      if (it == pending_.end()) {
        client_->late_responses_.fetch_add(1, std::memory_order_relaxed);
        LOG_DEBUG("dropped a response from " << address_ << " with unknown opaque " << command.opaque
                                             << " (code " << command.code << "), probably after its timeout");
        return;
      }
      Pending pending = std::move(it->second);
      pending_.erase(it);
      if (auto hook = current_hook()) {
        try {
          hook->after_response(address_, pending.request, command);
        } catch (const std::exception& error) {
          LOG_WARN("rpc hook after_response threw: " << error.what());
        }
      }
      complete(std::move(pending.callback), InvokeResult{std::move(command), nullptr});
      return;
    }
    serve(std::move(command));
  }

  std::shared_ptr<RpcHook> current_hook() {
    std::lock_guard<std::mutex> lock(client_->mutex_);
    return client_->hook_;
  }

  void serve(RemotingCommand request) {
    RequestProcessor processor;
    {
      std::lock_guard<std::mutex> lock(client_->mutex_);
      auto it = client_->processors_.find(request.code);
      if (it != client_->processors_.end()) processor = it->second;
    }
    if (!processor) {
      if (!request.is_oneway()) {
        auto response = RemotingCommand::response_to(
            request, 3 /* REQUEST_CODE_NOT_SUPPORTED */,
            " request type " + std::to_string(request.code) + " not supported");
        queue_frame(encode_frame(response, client_->options_.serialize_type), false);
      }
      return;
    }
    asio::post(client_->processor_pool_, [self = shared_from_this(), processor = std::move(processor),
                                          request = std::move(request)]() mutable {
      std::optional<RemotingCommand> response;
      struct Marker {
        explicit Marker(const RemotingClient::Impl* client) {
          RemotingClient::Impl::processor_thread_marker() = client;
          common::set_current_thread_name("processor");
        }
        ~Marker() { RemotingClient::Impl::processor_thread_marker() = nullptr; }
      } marker(self->client_.get());
      try {
        response = processor(self->address_, request);
      } catch (const std::exception& error) {
        LOG_WARN("processor for request code " << request.code << " from " << self->address_
                                               << " threw: " << error.what());
        response = RemotingCommand::response_to(request, 1 /* SYSTEM_ERROR */, std::string(error.what()));
      }
      if (!response || request.is_oneway()) return;
      response->opaque = request.opaque;
      response->mark_response();
      self->send_frame(encode_frame(*response, self->client_->options_.serialize_type), false);
    });
  }

  void close(const CloseReason& reason) {
    if (state_ == State::Closed) return;
    state_ = State::Closed;
    close_reason_ = reason;
    boost::system::error_code ignored;
    connect_timer_.cancel();
    idle_timer_.cancel();
    deadline_timer_.cancel();
    deadlines_ = {};
    deadline_armed_for_.reset();
    resolver_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    for (auto& frame : write_queue_) {
      if (frame.oneway) client_->pending_oneway_.fetch_sub(1);
    }
    write_queue_.clear();
    // Forgotten before the callers learn of the failure: a caller that retries at once must get a
    // new connection, not this closed one (which would fail its request with the old reason).
    client_->forget(address_, this);
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [opaque, request] : pending) {
      complete(std::move(request.callback), InvokeResult{std::nullopt, reason.make()});
    }
  }

  std::shared_ptr<RemotingClient::Impl> client_;
  std::string address_;
  asio::strand<asio::io_context::executor_type> strand_;
  tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  tcp::resolver resolver_;
  asio::steady_timer connect_timer_;
  std::string host_;            // of address_, for the TLS name check
  bool received_any_ = false;   // a byte came from the peer on this connection
  std::chrono::steady_clock::time_point last_read_{};  // when the last bytes came (timeouts)
  // last_read_ for other threads; the connection's creation until the first bytes come.
  std::atomic<std::chrono::steady_clock::rep> heard_at_{std::chrono::steady_clock::now().time_since_epoch().count()};
  asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_activity_;  // last read or write completion
  State state_ = State::Connecting;
  CloseReason close_reason_;
  std::unordered_map<std::int32_t, Pending> pending_;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  asio::steady_timer deadline_timer_;
  std::optional<std::chrono::steady_clock::time_point> deadline_armed_for_;  // the timer's expiry if waiting
  std::deque<OutgoingFrame> write_queue_;
  bool writing_ = false;
  std::vector<char> read_buffer_;
  std::size_t read_start_ = 0;
  std::size_t read_end_ = 0;
};

std::shared_ptr<Connection> RemotingClient::Impl::connection_for(const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Checked under the lock shutdown() takes for its snapshot of the connections: one opened after
  // that snapshot would never be closed.
  if (shut_down_.load()) throw ClientError("the remoting client was shut down");
  auto& slot = connections_[address];
  if (!slot) {
    slot = std::make_shared<Connection>(shared_from_this(), address);
    slot->start();
  }
  return slot;
}

void RemotingClient::Impl::forget(const std::string& address, const Connection* connection) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = connections_.find(address);
  if (it != connections_.end() && it->second.get() == connection) connections_.erase(it);
}

void RemotingClient::Impl::shutdown() {
  std::lock_guard<std::mutex> serial(shutdown_mutex_);
  if (shut_down_.exchange(true)) return;
  std::vector<std::shared_ptr<Connection>> connections;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [address, connection] : connections_) connections.push_back(connection);
  }
  // Close every connection on its own strand and wait, so each pending request fails exactly once
  // before the I/O threads stop.
  const CloseReason reason{CloseReason::Kind::Client, "the remoting client was shut down"};
  std::vector<std::future<void>> closed;
  for (auto& connection : connections) {
    auto done = std::make_shared<std::promise<void>>();
    closed.push_back(done->get_future());
    connection->close_then(reason, [done] { done->set_value(); });
  }
  for (auto& future : closed) future.wait();
  processor_pool_.join();
  work_guard_.reset();
  io_context_.stop();
  for (auto& thread : io_threads_) {
    if (thread.joinable()) thread.join();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    connections_.clear();
  }
  // The aborted operations of the closed connections are still queued, and each holds its
  // Connection, which holds this Impl, which owns the queue: a cycle that would keep the context
  // (and Asio's resolver thread) alive forever. Running them here lets them see the closed state
  // and release it; every request already failed, so no callback of ours runs twice.
  io_context_.restart();
  for (;;) {
    try {
      io_context_.poll();
      break;
    } catch (const std::exception& error) {
      LOG_WARN("remoting shutdown: a completion threw: " << error.what());
    }
  }
}

RemotingClient::RemotingClient(RemotingClientOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}

RemotingClient::~RemotingClient() {
  if (!in_own_thread()) shutdown();
}

void RemotingClient::register_processor(std::int32_t code, RequestProcessor processor) {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  impl_->processors_[code] = std::move(processor);
}

void RemotingClient::set_rpc_hook(std::shared_ptr<RpcHook> hook) {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  impl_->hook_ = std::move(hook);
}

bool RemotingClient::in_io_thread() const { return Impl::io_thread_marker() == impl_.get(); }

bool RemotingClient::in_own_thread() const {
  return in_io_thread() || Impl::processor_thread_marker() == impl_.get();
}

void RemotingClient::invoke_async(const std::string& address, RemotingCommand request,
                                  std::chrono::milliseconds timeout, ResponseCallback callback) {
  if (impl_->shut_down_.load()) throw ClientError("the remoting client was shut down");
  if (impl_->pending_async_.fetch_add(1) >= impl_->options_.max_async_requests) {
    impl_->pending_async_.fetch_sub(1);
    throw ClientError("too many outstanding async requests (limit " +
                      std::to_string(impl_->options_.max_async_requests) + ")");
  }
  std::string frame;
  std::shared_ptr<RpcHook> hook;
  try {
    request.opaque = next_opaque.fetch_add(1, std::memory_order_relaxed);
    request.flag &= ~(RemotingCommand::kResponseFlag | RemotingCommand::kOnewayFlag);
    {
      std::lock_guard<std::mutex> lock(impl_->mutex_);
      hook = impl_->hook_;
    }
    if (hook) hook->before_request(address, request);
    frame = encode_frame(request, impl_->options_.serialize_type);
    if (!hook) {
      // Freed here, on the thread that allocated them, rather than on the I/O thread when the
      // answer comes: glibc serves a thread's frees back to it from a cache of its own.
      request.ext_fields = protocol::ExtFields();
      request.body = std::string();
    }
  } catch (...) {
    impl_->pending_async_.fetch_sub(1);
    throw;
  }
  const std::int32_t opaque = request.opaque;
  std::shared_ptr<Connection> connection;
  try {
    connection = impl_->connection_for(address);
  } catch (...) {
    impl_->pending_async_.fetch_sub(1);
    throw;
  }
  connection->send_request(opaque, std::move(frame), timeout, std::move(request), std::move(callback));
}

RemotingCommand RemotingClient::invoke_sync(const std::string& address, RemotingCommand request,
                                            std::chrono::milliseconds timeout) {
  if (in_io_thread()) throw ClientError("invoke_sync called on an I/O thread; it would deadlock");
  auto promise = std::make_shared<std::promise<InvokeResult>>();
  auto future = promise->get_future();
  invoke_async(address, std::move(request), timeout,
               [promise](InvokeResult&& result) { promise->set_value(std::move(result)); });
  // Every request completes within its timeout; the margin only guards against a completion lost
  // to a shutdown race, which must not hang the caller forever.
  if (future.wait_for(timeout + std::chrono::seconds(5)) != std::future_status::ready) {
    throw TimeoutError("no answer from " + address + " within " + std::to_string(timeout.count()) +
                       " ms (request lost while the client shut down)");
  }
  InvokeResult result = future.get();
  if (result.error) std::rethrow_exception(result.error);
  return std::move(*result.response);
}

void RemotingClient::invoke_oneway(const std::string& address, RemotingCommand request) {
  if (impl_->shut_down_.load()) throw ClientError("the remoting client was shut down");
  if (impl_->pending_oneway_.fetch_add(1) >= impl_->options_.max_oneway_requests) {
    impl_->pending_oneway_.fetch_sub(1);
    throw ClientError("too many oneway requests waiting to be written (limit " +
                      std::to_string(impl_->options_.max_oneway_requests) + ")");
  }
  std::string frame;
  try {
    request.opaque = next_opaque.fetch_add(1, std::memory_order_relaxed);
    request.flag = (request.flag & ~RemotingCommand::kResponseFlag) | RemotingCommand::kOnewayFlag;
    std::shared_ptr<RpcHook> hook;
    {
      std::lock_guard<std::mutex> lock(impl_->mutex_);
      hook = impl_->hook_;
    }
    if (hook) hook->before_request(address, request);
    frame = encode_frame(request, impl_->options_.serialize_type);
  } catch (...) {
    impl_->pending_oneway_.fetch_sub(1);
    throw;
  }
  std::shared_ptr<Connection> connection;
  try {
    connection = impl_->connection_for(address);
  } catch (...) {
    impl_->pending_oneway_.fetch_sub(1);
    throw;
  }
  connection->send_frame(std::move(frame), true);
}

void RemotingClient::run_after(std::chrono::milliseconds delay, std::function<void()> task) {
  if (impl_->shut_down_.load()) return;
  auto timer = std::make_shared<asio::steady_timer>(impl_->io_context_, delay);
  timer->async_wait([timer, task = std::move(task)](const boost::system::error_code& error) {
    if (error) return;
    try {
      task();
    } catch (const std::exception& e) {
      LOG_ERROR("delayed task threw: " << e.what());
    }
  });
}

void RemotingClient::close_connection(const std::string& address) {
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex_);
    auto it = impl_->connections_.find(address);
    if (it == impl_->connections_.end()) return;
    connection = it->second;
  }
  connection->close_async(CloseReason{CloseReason::Kind::Connect, "connection to " + address + " closed by the client"});
}

std::optional<std::chrono::steady_clock::time_point> RemotingClient::last_heard_from(const std::string& address) const {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  auto it = impl_->connections_.find(address);
  if (it == impl_->connections_.end()) return std::nullopt;
  return it->second->heard_at();
}

void RemotingClient::shutdown() {
  if (in_own_thread()) throw ClientError("RemotingClient::shutdown called on one of its own threads");
  impl_->shutdown();
}

RemotingClientStats RemotingClient::stats() const {
  RemotingClientStats stats;
  stats.connections_opened = impl_->connections_opened_.load();
  stats.connect_failures = impl_->connect_failures_.load();
  stats.frames_sent = impl_->frames_sent_.load();
  stats.frames_received = impl_->frames_received_.load();
  stats.frames_received_binary = impl_->frames_received_binary_.load();
  stats.timeouts = impl_->timeouts_.load();
  stats.closed_after_timeout = impl_->closed_after_timeout_.load();
  stats.closed_idle = impl_->closed_idle_.load();
  stats.late_responses = impl_->late_responses_.load();
  stats.malformed_frames = impl_->malformed_frames_.load();
  stats.pending_async = impl_->pending_async_.load();
  stats.pending_oneway = impl_->pending_oneway_.load();
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  stats.open_connections = impl_->connections_.size();
  return stats;
}

const RemotingClientOptions& RemotingClient::options() const { return impl_->options_; }

}  // namespace rocketmq::remoting
