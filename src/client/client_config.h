#pragma once

#include <chrono>
#include <string>

#include "client/acl_rpc_hook.h"
#include "remoting/remoting_client.h"
#include "rocketmq/error.h"

namespace rocketmq::client {

// What an MQClientInstance is built from. Clients with the same client id share one instance; the
// first one to start decides these settings.
struct ClientConfig {
  std::string name_server_addr;
  static constexpr const char* kDefaultInstanceName = "DEFAULT";
  std::string instance_name = kDefaultInstanceName;
  std::chrono::milliseconds request_timeout{3000};
  std::chrono::milliseconds heartbeat_interval{30000};
  std::chrono::milliseconds route_refresh_interval{30000};
  std::chrono::milliseconds rebalance_interval{20000};
  std::chrono::milliseconds persist_offset_interval{5000};
  remoting::RemotingClientOptions remoting;  // TLS settings in remoting.tls
  Credentials credentials;                   // empty: requests are not signed

  // Credentials and TLS settings equal: two clients may share an instance only then.
  bool same_security(const ClientConfig& other) const;

  // "<ip>@<instance_name>".
  std::string client_id() const;

  // The instance name a client really uses, as the Java 5.x client picks it: a name left at
  // DEFAULT becomes "<pid>#<nanos>" when `unique_per_client` (producers and clustering consumers),
  // so each such client gets an instance of its own and two consumers of one group in one process
  // just work; broadcasting consumers keep DEFAULT, so their client id (and with it the path of
  // their local offsets) is the same after a restart. Any other name is kept: clients that share
  // it share one instance.
  static std::string resolve_instance_name(const std::string& instance_name, bool unique_per_client);
};

// Copies the security options of a ProducerOption or ConsumerOption (same setters on both) into
// `config`; throws ClientError for combinations no single setter can check.
template <typename Option>
void apply_security(ClientConfig& config, const Option& option) {
  if (option.has_credentials()) {
    config.credentials = Credentials{option.access_key(), option.secret_key(), option.security_token()};
  }
  auto& tls = config.remoting.tls;
  tls.enabled = option.tls_enabled();
  tls.verify_peer = option.tls_verify_peer();
  tls.ca_file = option.tls_ca_file();
  tls.cert_file = option.tls_cert_file();
  tls.key_file = option.tls_key_file();
  tls.server_name = option.tls_server_name();
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    throw ClientError("start(): set_tls_cert_file and set_tls_key_file go together (mutual TLS needs both)");
  }
  if (!tls.enabled && (!tls.ca_file.empty() || !tls.cert_file.empty() || !tls.server_name.empty())) {
    throw ClientError("start(): TLS files or server name are set but TLS is off (set_tls_enabled(true))");
  }
}

}  // namespace rocketmq::client
