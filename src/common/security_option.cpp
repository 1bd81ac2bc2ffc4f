// The setters of SecurityOption, the security settings ConsumerOption and ProducerOption share: each
// validates with the common validators, so both clients refuse a value with the same text.
#include "rocketmq/security_option.h"

#include <string>

#include "common/validators.h"

namespace rocketmq {

void SecurityOption::set_credentials(const std::string& access_key, const std::string& secret_key) {
  set_credentials(access_key, secret_key, std::string());
}

void SecurityOption::set_credentials(const std::string& access_key, const std::string& secret_key,
                                     const std::string& security_token) {
  common::validate_credentials(access_key, secret_key, security_token);
  access_key_ = access_key;
  secret_key_ = secret_key;
  security_token_ = security_token;
}

void SecurityOption::set_tls_ca_file(const std::string& path) {
  common::validate_readable_file("tls_ca_file", path);
  tls_ca_file_ = path;
}

void SecurityOption::set_tls_cert_file(const std::string& path) {
  common::validate_readable_file("tls_cert_file", path);
  tls_cert_file_ = path;
}

void SecurityOption::set_tls_key_file(const std::string& path) {
  common::validate_readable_file("tls_key_file", path);
  tls_key_file_ = path;
}

void SecurityOption::set_tls_server_name(const std::string& name) {
  common::validate_tls_server_name(name);
  tls_server_name_ = name;
}

}  // namespace rocketmq
