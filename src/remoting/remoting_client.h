#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "remoting/remoting_command.h"
#include "remoting/rpc_hook.h"

namespace rocketmq::remoting {

struct TlsOptions {
  bool enabled = false;
  bool verify_peer = true;   // the chain against ca_file and the name against server_name
  std::string ca_file;       // PEM bundle of trusted CAs; empty = the system's trust store
  std::string cert_file;     // client certificate chain (PEM) for mutual TLS, with key_file
  std::string key_file;
  std::string server_name;   // SNI and expected name; empty = the host of each address

  bool operator==(const TlsOptions& other) const {
    return enabled == other.enabled && verify_peer == other.verify_peer && ca_file == other.ca_file &&
           cert_file == other.cert_file && key_file == other.key_file && server_name == other.server_name;
  }
};

struct RemotingClientOptions {
  std::size_t io_threads = 1;         // sockets, frame decoding and request timers
  std::size_t processor_threads = 1;  // requests the brokers send us
  std::chrono::milliseconds connect_timeout{3000};
  std::size_t max_async_requests = 65536;   // outstanding invoke_async calls
  std::size_t max_oneway_requests = 65536;  // oneway frames queued but not yet written
  SerializeType serialize_type = SerializeType::Json;
  std::size_t max_frame_size = kDefaultMaxFrameSize;
  TlsOptions tls;
  // Dead-connection detection. A peer that vanished without a RST (a black-holed route, a frozen
  // host) would otherwise hold a connection for the ~15 minutes of TCP retransmission.
  // A request that timed out closes its connection (Java's clientCloseSocketIfTimeout) when
  // nothing at all was read on it during that request's timeout: its other requests fail at once
  // with ConnectError and the next use opens a fresh connection. A connection that answered other
  // requests meanwhile stays open (a slow peer is not a dead one).
  bool close_on_timeout = true;
  // A connection that read and wrote nothing for this long is closed (Java's
  // clientChannelMaxIdleTimeSeconds, 120 s); zero keeps idle connections open.
  std::chrono::milliseconds idle_timeout{120000};
  // TCP keepalive on every connection: first probe after `keepalive_idle` without traffic, then
  // every `keepalive_interval`, the connection failing after `keepalive_probes` unanswered ones.
  bool tcp_keepalive = true;
  std::chrono::seconds keepalive_idle{60};
  std::chrono::seconds keepalive_interval{10};
  int keepalive_probes = 3;
};

struct RemotingClientStats {
  std::uint64_t connections_opened = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_received = 0;
  std::uint64_t frames_received_binary = 0;  // with a ROCKETMQ (binary) header
  std::uint64_t timeouts = 0;
  std::uint64_t closed_after_timeout = 0;  // connections closed because a request timed out
  std::uint64_t closed_idle = 0;           // connections closed after idle_timeout
  std::uint64_t late_responses = 0;  // answers that came after their request had failed
  std::uint64_t malformed_frames = 0;
  std::size_t pending_async = 0;
  std::size_t pending_oneway = 0;
  std::size_t open_connections = 0;
};

// Exactly one of `response` and `error` is set.
struct InvokeResult {
  std::optional<RemotingCommand> response;
  std::exception_ptr error;
};

// Runs on an I/O thread: it must not block and must not call invoke_sync.
using ResponseCallback = std::function<void(InvokeResult&&)>;

// Answers a request a peer sent us; nullopt sends no answer (as for oneway requests). Runs on a
// processor thread, never on an I/O thread, so it may block briefly.
using RequestProcessor = std::function<std::optional<RemotingCommand>(const std::string& address,
                                                                      RemotingCommand& request)>;

// The transport of a client instance: one connection per address, opened on first use and
// reopened on the next use after a failure (a request timeout and idleness count as failures, see
// the options); a fixed set of I/O threads shared by all connections.
// Every request completes exactly once: with its response, or with TimeoutError, ConnectError,
// ProtocolError (the connection carried a malformed frame) or ClientError (shut down).
class RemotingClient {
 public:
  explicit RemotingClient(RemotingClientOptions options = {});
  ~RemotingClient();
  RemotingClient(const RemotingClient&) = delete;
  RemotingClient& operator=(const RemotingClient&) = delete;

  // Register before the first connection is opened.
  void register_processor(std::int32_t code, RequestProcessor processor);
  void set_rpc_hook(std::shared_ptr<RpcHook> hook);

  // Blocks the caller until the answer or the timeout; throws on failure. Calling it from an I/O
  // thread throws ClientError (it would deadlock).
  RemotingCommand invoke_sync(const std::string& address, RemotingCommand request,
                              std::chrono::milliseconds timeout);

  // Returns at once; `callback` runs exactly once on an I/O thread. Throws ClientError only when
  // the client is shut down or too many async requests are outstanding (the callback then never runs).
  void invoke_async(const std::string& address, RemotingCommand request, std::chrono::milliseconds timeout,
                    ResponseCallback callback);

  // Queues the request with the oneway flag; no answer is expected. Throws ClientError when shut
  // down or when too many oneway frames wait to be written.
  void invoke_oneway(const std::string& address, RemotingCommand request);

  // Runs `task` on an I/O thread after `delay` (pull retries and flow-control pauses: short,
  // non-blocking work). Dropped silently after shutdown.
  void run_after(std::chrono::milliseconds delay, std::function<void()> task);

  // Closes the connection to `address` (if any); its pending requests fail with ConnectError.
  void close_connection(const std::string& address);

  // When the open connection to `address` last received bytes (when it was opened, if it has
  // received none yet); nullopt without an open connection. A consumer uses it to tell a broker
  // that holds its long polls from one that went silent. Any thread.
  std::optional<std::chrono::steady_clock::time_point> last_heard_from(const std::string& address) const;

  // Closes every socket, fails every pending request, joins the threads. Idempotent; throws
  // ClientError when called from an I/O or processor thread (it would join itself).
  void shutdown();

  bool in_io_thread() const;
  // An I/O thread or a processor thread of this client.
  bool in_own_thread() const;
  RemotingClientStats stats() const;
  const RemotingClientOptions& options() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace rocketmq::remoting
