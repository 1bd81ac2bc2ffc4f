// Micro benchmarks of the consumer's hot path, no network:
//
//   rmq_bench_micro [--only NAME] [--seconds 0.5] [--iterations K] [--json]
//
//   frame_json      remoting::decode_frame_payload of a PULL_MESSAGE response: JSON header (as the
//                   brokers send by default) + a body of 32 stored messages (~360 B each, the records
//                   compare.sh's preload stores: 128-byte body, UNIQ_KEY, TAGS, WAIT, CLUSTER;
//                   ~343 B each, the size the brokers serve for that preload)
//   frame_binary    the same frame with a ROCKETMQ (binary) header
//   decode_32       protocol::decode_messages of the 32-message pull body
//   pull_path       what the I/O thread does per pull answer: frame decode, response header decode,
//                   decode_messages
//   send_encode     what a producer's sending thread does per message below the producer: a
//                   SEND_MESSAGE_V2 header (compare.sh's producer topic and group, UNIQ_KEY and WAIT
//                   properties) into a request, the request into a JSON-header frame, 128-byte body
//   send_answer     what the I/O thread does per send answer: decode_frame_payload of a broker's
//                   SEND_MESSAGE_V2 response (a JSON header as 5.x brokers answer, whatever the
//                   request used) and SendMessageResponseHeader::decode
//   filter_star     filter::matches for "*"
//   filter_tags     filter::matches for "TagA || TagB" (hit) and a message tagged TagC (miss)
//   filter_sql92    filter::matches for the SQL92 selector "a > 5 AND region = 'eu'" (messages with
//                   two more properties, a=10 and region=eu)
//
// Prints ns per operation and per message, and msgs/s on one core. With --iterations K the named
// benchmark (--only) runs exactly K times inside extern "C" bench_loop_<name>, which
// bench/callgrind.sh counts instructions in (valgrind --toggle-collect).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bench_util.h"
#include "filter/subscription.h"
#include "protocol/headers.h"
#include "protocol/message_decoder.h"
#include "protocol/stored_message.h"
#include "remoting/remoting_command.h"

using namespace rocketmq;

namespace {

constexpr int kMessages = 32;

volatile std::size_t g_sink = 0;  // keeps results alive

protocol::StoredMessage sample_message(std::int64_t offset, const std::string& tag, bool sql_properties = false) {
  protocol::StoredMessage m;
  m.queue_id = 3;
  m.flag = 0;
  m.queue_offset = offset;
  m.commit_log_offset = 123456789 + offset * 360;
  m.sys_flag = 0;
  m.born_timestamp = 1795690018511 + offset;
  m.born_host.ip_bytes = std::string("\x7f\x00\x00\x01", 4);
  m.born_host.port = 54321;
  m.store_timestamp = 1795690018513 + offset;
  m.store_host.ip_bytes = std::string("\x7f\x00\x00\x01", 4);
  m.store_host.port = 60911;
  m.body = std::string(128, 'a');
  m.topic = "BenchTopic_1795690018511";
  char uniq[40];
  std::snprintf(uniq, sizeof uniq, "7F0000010F2A18B4AAC2%012llX", static_cast<unsigned long long>(offset));
  m.properties["UNIQ_KEY"] = uniq;
  m.properties["TAGS"] = tag;
  m.properties["WAIT"] = "true";
  m.properties["CLUSTER"] = "DefaultCluster";
  if (sql_properties) {
    m.properties["a"] = "10";
    m.properties["region"] = "eu";
  }
  return m;
}

// A broker's successful answer (a Java peer's header fields), its custom header left to the caller.
remoting::RemotingCommand broker_answer(std::int32_t version) {
  remoting::RemotingCommand answer;
  answer.code = 0;
  answer.language = remoting::LanguageCode::Java;
  answer.version = version;
  answer.opaque = 424242;
  answer.flag = remoting::RemotingCommand::kResponseFlag;
  return answer;
}

struct Fixture {
  std::vector<protocol::StoredMessage> messages;      // decoded sample (for filters)
  std::vector<protocol::StoredMessage> sql_messages;  // with the properties the SQL92 selector reads
  std::string body;                               // 32 stored records
  std::string frame_json;                         // payload after the 4-byte length
  std::string frame_binary;
  protocol::SubscriptionData star;
  protocol::SubscriptionData tags;
  protocol::SubscriptionData sql;
  bool sql_ok = false;
  protocol::StoredMessage tag_a;
  protocol::StoredMessage tag_c;
  protocol::SendMessageRequestHeaderV2 send_header;
  std::string send_body = std::string(128, 'a');
  std::string send_answer;  // payload after the 4-byte length

  Fixture() {
    for (int i = 0; i < kMessages; ++i) body += protocol::encode_stored_message(sample_message(1000 + i, "TagA"));
    messages = protocol::decode_messages(body);
    for (int i = 0; i < kMessages; ++i) sql_messages.push_back(sample_message(1000 + i, "TagA", true));
    auto response = broker_answer(475);
    protocol::PullMessageResponseHeader header;
    header.suggest_which_broker_id = 0;
    header.next_begin_offset = 1032;
    header.min_offset = 0;
    header.max_offset = 62500;
    header.topic_sys_flag = 0;
    header.group_sys_flag = 0;
    header.encode(response.ext_fields);
    response.body = body;
    frame_json = remoting::encode_frame(response, remoting::SerializeType::Json).substr(4);
    frame_binary = remoting::encode_frame(response, remoting::SerializeType::RocketMQ).substr(4);
    star = filter::build_subscription("BenchTopic", "*", ExpressionType::Tag);
    tags = filter::build_subscription("BenchTopic", "TagA || TagB", ExpressionType::Tag);
    try {
      sql = filter::build_subscription("BenchTopic", "a > 5 AND region = 'eu'", ExpressionType::Sql92);
      sql_ok = true;
    } catch (const std::exception& error) {
      std::fprintf(stderr, "filter_sql92 skipped: %s\n", error.what());
    }
    tag_a = sample_message(1, "TagA");
    tag_c = sample_message(2, "TagC");

    send_header.producer_group = "BenchProducerGroup";
    send_header.topic = "BenchProduce_ours_async_20261203_141500";
    send_header.queue_id = 5;
    send_header.sys_flag = 0;
    send_header.born_timestamp = 1795690018511;
    send_header.flag = 0;
    send_header.properties = std::string("UNIQ_KEY\x01" "7F0000010F2A18B4AAC2000000000001\x02WAIT\x01true\x02", 52);
    send_header.reconsume_times = 0;
    send_header.unit_mode = false;
    send_header.batch = false;
    send_header.broker_name = "broker-a";
    auto answer = broker_answer(479);
    answer.ext_fields = {{"msgId", "7F00000100002A9F0000000001E2B3C4"},
                         {"queueId", "5"},
                         {"queueOffset", "123456"},
                         {"transactionId", "7F0000010F2A18B4AAC2000000000001"},
                         {"MSG_REGION", "DefaultRegion"},
                         {"TRACE_ON", "true"}};
    send_answer = remoting::encode_frame(answer, remoting::SerializeType::Json).substr(4);
  }
};

Fixture* g_fixture = nullptr;

}  // namespace

// One loop per benchmark, extern "C" and never inlined so that callgrind can count exactly it.
extern "C" {
__attribute__((noinline)) void bench_loop_frame_json(long iterations) {
  for (long i = 0; i < iterations; ++i) g_sink += remoting::decode_frame_payload(g_fixture->frame_json).body.size();
}
__attribute__((noinline)) void bench_loop_frame_binary(long iterations) {
  for (long i = 0; i < iterations; ++i) g_sink += remoting::decode_frame_payload(g_fixture->frame_binary).body.size();
}
__attribute__((noinline)) void bench_loop_decode_32(long iterations) {
  for (long i = 0; i < iterations; ++i) g_sink += protocol::decode_messages(g_fixture->body).size();
}
__attribute__((noinline)) void bench_loop_pull_path(long iterations) {
  for (long i = 0; i < iterations; ++i) {
    auto command = remoting::decode_frame_payload(g_fixture->frame_json);
    auto header = protocol::PullMessageResponseHeader::decode(command.ext_fields);
    auto messages = protocol::decode_messages(command.body);
    g_sink += messages.size() + static_cast<std::size_t>(header.next_begin_offset);
  }
}
__attribute__((noinline)) void bench_loop_send_encode(long iterations) {
  for (long i = 0; i < iterations; ++i) {
    auto request = remoting::RemotingCommand::request(310);  // SEND_MESSAGE_V2
    request.opaque = static_cast<std::int32_t>(i);
    g_fixture->send_header.encode(request.ext_fields);
    request.body = g_fixture->send_body;
    g_sink += remoting::encode_frame(request, remoting::SerializeType::Json).size();
  }
}
__attribute__((noinline)) void bench_loop_send_answer(long iterations) {
  for (long i = 0; i < iterations; ++i) {
    auto command = remoting::decode_frame_payload(g_fixture->send_answer);
    auto header = protocol::SendMessageResponseHeader::decode(command.ext_fields);
    g_sink += header.msg_id.size() + static_cast<std::size_t>(header.queue_offset);
  }
}
__attribute__((noinline)) void bench_loop_filter_star(long iterations) {
  for (long i = 0; i < iterations; ++i) {
    for (const auto& m : g_fixture->messages) g_sink += filter::matches(g_fixture->star, m);
  }
}
__attribute__((noinline)) void bench_loop_filter_tags(long iterations) {
  for (long i = 0; i < iterations; ++i) {
    for (int j = 0; j < kMessages / 2; ++j) {
      g_sink += filter::matches(g_fixture->tags, g_fixture->tag_a);
      g_sink += filter::matches(g_fixture->tags, g_fixture->tag_c);
    }
  }
}
__attribute__((noinline)) void bench_loop_filter_sql92(long iterations) {
  for (long i = 0; i < iterations; ++i) {
    for (const auto& m : g_fixture->sql_messages) g_sink += filter::matches(g_fixture->sql, m);
  }
}
}

int main(int argc, char** argv) {
  bench::Args args(argc, argv);
  const std::string only = args.get("only", "");
  const double seconds = args.get_double("seconds", 0.5);
  const long fixed_iterations = static_cast<long>(args.get_int("iterations", 0));
  Fixture fixture;
  g_fixture = &fixture;

  struct Bench {
    const char* name;
    void (*loop)(long);
    int messages_per_op;
    std::size_t bytes_per_op;
  };
  std::vector<Bench> benches = {
      {"frame_json", bench_loop_frame_json, kMessages, fixture.frame_json.size()},
      {"frame_binary", bench_loop_frame_binary, kMessages, fixture.frame_binary.size()},
      {"decode_32", bench_loop_decode_32, kMessages, fixture.body.size()},
      {"pull_path", bench_loop_pull_path, kMessages, fixture.frame_json.size()},
      {"send_encode", bench_loop_send_encode, 1, 0},
      {"send_answer", bench_loop_send_answer, 1, fixture.send_answer.size()},
      {"filter_star", bench_loop_filter_star, kMessages, 0},
      {"filter_tags", bench_loop_filter_tags, kMessages, 0},
  };
  if (fixture.sql_ok) benches.push_back({"filter_sql92", bench_loop_filter_sql92, kMessages, 0});

  if (!args.has("json")) {
    std::printf("frame: %zu bytes (JSON header), %zu (binary header); body %zu bytes for %d messages\n",
                fixture.frame_json.size(), fixture.frame_binary.size(), fixture.body.size(), kMessages);
    std::printf("%-14s %12s %12s %14s %10s\n", "benchmark", "ns/op", "ns/msg", "msgs/s/core", "MB/s");
  }
  std::string json;
  for (const auto& bench : benches) {
    if (!only.empty() && only != bench.name) continue;
    if (fixed_iterations > 0) {  // callgrind mode: exactly K iterations, nothing else
      bench.loop(fixed_iterations);
      std::printf("%s: %ld iterations of %d messages\n", bench.name, fixed_iterations, bench.messages_per_op);
      continue;
    }
    // Calibrate to ~`seconds`, take the best of three runs (the machine is shared).
    long iterations = 1;
    while (true) {
      const double t0 = bench::mono_seconds();
      bench.loop(iterations);
      const double elapsed = bench::mono_seconds() - t0;
      if (elapsed > seconds / 10 || iterations > (1L << 30)) {
        iterations = static_cast<long>(static_cast<double>(iterations) * (seconds / std::max(elapsed, 1e-9))) + 1;
        break;
      }
      iterations *= 4;
    }
    double best = 1e30;
    for (int run = 0; run < 3; ++run) {
      const double t0 = bench::mono_seconds();
      bench.loop(iterations);
      best = std::min(best, (bench::mono_seconds() - t0) / static_cast<double>(iterations));
    }
    const double ns_op = best * 1e9;
    const double ns_msg = ns_op / bench.messages_per_op;
    const double mb_s = bench.bytes_per_op > 0 ? static_cast<double>(bench.bytes_per_op) / best / 1e6 : 0.0;
    if (args.has("json")) {
      bench::Json j;
      j.add("name", bench.name).add("ns_per_op", ns_op).add("ns_per_msg", ns_msg).add("msgs_per_s", 1e9 / ns_msg);
      if (mb_s > 0) j.add("mb_per_s", mb_s);
      json += (json.empty() ? "" : ",") + j.str();
    } else {
      std::printf("%-14s %12.1f %12.1f %14.0f %10.1f\n", bench.name, ns_op, ns_msg, 1e9 / ns_msg, mb_s);
    }
  }
  if (args.has("json")) std::printf("[%s]\n", json.c_str());
  return 0;
}
