// Writes the binary seeds of the frame_decoder and message_decoder fuzz targets with the library's
// own encoders, so the seeds are real frames and stored records rather than hand-typed bytes:
//   fuzz_make_corpus <corpus directory>     (test/fuzz/corpus; existing files are overwritten)
// The JSON and SQL92 seeds are plain text files kept by hand next to them.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "protocol/compression.h"
#include "protocol/message_const.h"
#include "protocol/message_decoder.h"
#include "protocol/message_encoder.h"
#include "protocol/stored_message.h"
#include "remoting/remoting_command.h"

namespace {

namespace p = rocketmq::protocol;
namespace r = rocketmq::remoting;

void write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::cerr << "cannot write " << path << '\n';
    std::exit(1);
  }
}

// The fuzz target gets what follows the 4-byte frame length. Decoding it here keeps a broken encoder
// from silently producing seeds that stop at the first check.
std::string payload(const r::RemotingCommand& command, r::SerializeType type) {
  std::string bytes = r::encode_frame(command, type).substr(4);
  (void)r::decode_frame_payload(bytes);
  return bytes;
}

void write_records(const std::string& path, const std::string& bytes) {
  (void)p::decode_messages(bytes);
  write(path, bytes);
}

void frames(const std::string& dir) {
  r::RemotingCommand route = r::RemotingCommand::request(105);  // GET_ROUTEINFO_BY_TOPIC
  route.opaque = 1;
  route.ext_fields = {{"topic", "TopicTest"}, {"acceptStandardJsonOnly", "true"}};
  write(dir + "/json_route_request", payload(route, r::SerializeType::Json));

  r::RemotingCommand pull = r::RemotingCommand::response_to(route, 0);
  pull.language = r::LanguageCode::Java;
  pull.ext_fields = {
      {"suggestWhichBrokerId", "0"}, {"nextBeginOffset", "42"}, {"minOffset", "0"}, {"maxOffset", "100"}};
  pull.body = "body";
  write(dir + "/binary_pull_response", payload(pull, r::SerializeType::RocketMQ));
  write(dir + "/json_pull_response", payload(pull, r::SerializeType::Json));

  r::RemotingCommand error = r::RemotingCommand::response_to(route, 17, "No topic route info in name server");
  write(dir + "/json_error_remark", payload(error, r::SerializeType::Json));

  r::RemotingCommand notify = r::RemotingCommand::request(40);  // NOTIFY_CONSUMER_IDS_CHANGED
  notify.mark_oneway();
  notify.language = r::LanguageCode::Java;
  notify.ext_fields = {{"consumerGroup", "GID_test"}};
  write(dir + "/binary_oneway_request", payload(notify, r::SerializeType::RocketMQ));
}

p::HostAddress host(std::string ip, int port) { return {std::move(ip), port}; }

p::StoredMessage sample() {
  p::StoredMessage message;
  message.queue_id = 3;
  message.queue_offset = 16;
  message.commit_log_offset = 0x1234;
  message.born_timestamp = 1732600000000;
  message.born_host = host(std::string("\xC0\xA8\x00\x01", 4), 54321);
  message.store_timestamp = 1732600000001;
  message.store_host = host(std::string("\x7F\x00\x00\x01", 4), 10911);
  message.body = "hello";
  message.topic = "TopicTest";
  message.properties = {{p::message_property::kTags, "TagA"},
                        {p::message_property::kKeys, "k1 k2"},
                        {p::message_property::kUniqKey, "7F0000010001000000000000000A0000"}};
  return message;
}

p::StoredMessage compressed(p::StoredMessage message, p::CompressionType type) {
  message.body = p::compress(type, message.body + message.body + message.body,
                             type == p::CompressionType::kZstd ? 3 : 5);
  message.sys_flag = p::sys_flag_with_compression(message.sys_flag, type);
  return message;
}

void messages(const std::string& dir) {
  const p::StoredMessage plain = sample();
  write_records(dir + "/ipv4", p::encode_stored_message(plain));

  p::StoredMessage ipv6 = sample();
  ipv6.born_host = host(std::string("\x20\x01\x0d\xb8", 4) + std::string(11, '\0') + "\x01", 54321);
  ipv6.store_host = host(std::string(15, '\0') + "\x01", 10911);
  write_records(dir + "/ipv6_hosts", p::encode_stored_message(ipv6));

  p::StoredMessage v2 = sample();
  v2.topic = std::string(130, 'T');  // beyond 127 bytes: V2 magic, int16 topic length
  write_records(dir + "/v2_magic", p::encode_stored_message(v2));

  write_records(dir + "/zlib", p::encode_stored_message(compressed(plain, p::CompressionType::kZlib)));
  write_records(dir + "/lz4", p::encode_stored_message(compressed(plain, p::CompressionType::kLz4)));
  write_records(dir + "/zstd", p::encode_stored_message(compressed(plain, p::CompressionType::kZstd)));

  std::vector<p::OutgoingMessage> inner(3);
  for (std::size_t i = 0; i < inner.size(); ++i) {
    inner[i].topic = "TopicTest";
    inner[i].body = "inner-" + std::to_string(i);
    inner[i].properties = {{p::message_property::kTags, "Tag" + std::to_string(i)}};
  }
  p::StoredMessage batch = sample();
  batch.body = p::encode_batch_body(inner);
  batch.sys_flag = p::sys_flag::kInnerBatch | p::sys_flag::kNeedUnwrap;
  batch.properties = {{p::message_property::kInnerNum, "3"}};
  write_records(dir + "/inner_batch", p::encode_stored_message(batch));
  write_records(dir + "/inner_batch_zstd",
                p::encode_stored_message(compressed(batch, p::CompressionType::kZstd)));

  // A pull body: several records back to back.
  write_records(dir + "/pull_body",
                p::encode_stored_message(plain) + p::encode_stored_message(ipv6) +
                    p::encode_stored_message(compressed(plain, p::CompressionType::kLz4)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " <corpus directory>\n";
    return 2;
  }
  const std::string root = argv[1];
  frames(root + "/frame_decoder");
  messages(root + "/message_decoder");
  std::cout << "wrote seeds to " << root << "/frame_decoder and " << root << "/message_decoder\n";
  return 0;
}
