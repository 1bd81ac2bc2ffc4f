#include "client/acl_rpc_hook.h"

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <utility>

#include "rocketmq/error.h"

namespace rocketmq::client {

AclRpcHook::AclRpcHook(Credentials credentials) : credentials_(std::move(credentials)) {}

void AclRpcHook::before_request(const std::string& /*address*/, remoting::RemotingCommand& request) {
  // The credential fields take part in the signature, so they go in first; a retried request
  // (already signed once) gets a fresh signature over the same fields.
  request.ext_fields[kAccessKey] = credentials_.access_key;
  if (!credentials_.security_token.empty()) request.ext_fields[kSecurityToken] = credentials_.security_token;
  request.ext_fields[kSignature] = sign(request.ext_fields, request.body, credentials_.secret_key);
}

std::string AclRpcHook::sign(const protocol::ExtFields& fields, const std::string& body,
                             const std::string& secret_key) {
  // std::map orders keys bytewise, which for the ASCII field names of the protocol is the order of
  // Java's TreeMap<String, String>. Strings are UTF-8 on both sides.
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) throw ClientError("request signing: HMAC is not available in this OpenSSL");
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);
  if (ctx == nullptr) throw ClientError("request signing: out of memory");
  struct Free {
    EVP_MAC_CTX* ctx;
    ~Free() { EVP_MAC_CTX_free(ctx); }
  } free_ctx{ctx};
  char digest_name[] = "SHA1";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0), OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret_key.data()), secret_key.size(), params) != 1) {
    throw ClientError("request signing: HMAC-SHA1 initialisation failed");
  }
  auto update = [ctx](const std::string& bytes) {
    if (!bytes.empty() && EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) != 1) {
      throw ClientError("request signing: HMAC-SHA1 update failed");
    }
  };
  for (const auto& [name, value] : fields) {
    if (name != kSignature) update(value);
  }
  update(body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  std::size_t digest_size = 0;
  if (EVP_MAC_final(ctx, digest, &digest_size, sizeof digest) != 1) {
    throw ClientError("request signing: HMAC-SHA1 final failed");
  }
  // Standard Base64 with padding, no line breaks (commons-codec encodeBase64).
  std::string encoded(4 * ((digest_size + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), digest,
                                     static_cast<int>(digest_size));
  encoded.resize(static_cast<std::size_t>(length));
  return encoded;
}

}  // namespace rocketmq::client
