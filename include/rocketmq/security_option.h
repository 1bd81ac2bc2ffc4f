#pragma once

#include <string>

#include "rocketmq/export.h"

namespace rocketmq {

// The security settings every client has: ACL credentials and TLS (docs/security.md). ConsumerOption
// and ProducerOption inherit them, so both are set the same way. Setters validate and throw
// ClientError naming the option; the lengths are in docs/configuration.md.
class ROCKETMQ_API SecurityOption {
 public:
  // ACL credentials: every request is then signed as the Java client's AclClientRPCHook signs it.
  // The access key is printable ASCII without spaces; no part may contain control characters.
  // The secret is never logged nor put into error texts.
  void set_credentials(const std::string& access_key, const std::string& secret_key);
  void set_credentials(const std::string& access_key, const std::string& secret_key,
                       const std::string& security_token);
  bool has_credentials() const noexcept { return !access_key_.empty(); }
  const std::string& access_key() const noexcept { return access_key_; }
  const std::string& secret_key() const noexcept { return secret_key_; }
  const std::string& security_token() const noexcept { return security_token_; }

  // TLS to name servers and brokers. Once on, the server certificate is verified against
  // tls_ca_file (the system's trust store when empty) and its name against tls_server_name (the
  // host of each address when empty: a DNS name or an IP address in the certificate's SAN).
  void set_tls_enabled(bool enabled) noexcept { tls_enabled_ = enabled; }
  bool tls_enabled() const noexcept { return tls_enabled_; }
  // A readable PEM file of trusted CA certificates.
  void set_tls_ca_file(const std::string& path);
  const std::string& tls_ca_file() const noexcept { return tls_ca_file_; }
  // Off only when asked for: any certificate is then accepted, and start() logs a warning.
  void set_tls_verify_peer(bool verify) noexcept { tls_verify_peer_ = verify; }
  bool tls_verify_peer() const noexcept { return tls_verify_peer_; }
  // Client certificate chain and its private key (PEM) for mutual TLS; both or neither.
  void set_tls_cert_file(const std::string& path);
  const std::string& tls_cert_file() const noexcept { return tls_cert_file_; }
  void set_tls_key_file(const std::string& path);
  const std::string& tls_key_file() const noexcept { return tls_key_file_; }
  // The name sent as SNI and expected in the server certificate: a DNS name or an IP address.
  void set_tls_server_name(const std::string& name);
  const std::string& tls_server_name() const noexcept { return tls_server_name_; }

 protected:
  // A base of the option classes only: not deleted through a SecurityOption pointer.
  ~SecurityOption() = default;

 private:
  std::string access_key_;
  std::string secret_key_;
  std::string security_token_;
  bool tls_enabled_ = false;
  std::string tls_ca_file_;
  bool tls_verify_peer_ = true;
  std::string tls_cert_file_;
  std::string tls_key_file_;
  std::string tls_server_name_;
};

}  // namespace rocketmq
