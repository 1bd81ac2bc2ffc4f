#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "consumer/local_file_offset_store.h"
#include "consumer/remote_broker_offset_store.h"
#include "protocol/response_code.h"
#include "rocketmq/error.h"
#include "support/fake_mq_client_api.h"
#include "support/first_call_hold.h"
#include "support/test_env.h"

using rocketmq::MessageQueue;
using rocketmq::consumer::LocalFileOffsetStore;
using rocketmq::consumer::ReadOffsetType;
using rocketmq::consumer::RemoteBrokerOffsetStore;
using rocketmq::consumer::StoredOffset;
using rocketmq::test::FakeMQClientAPI;

namespace fs = std::filesystem;

namespace {

const std::string kGroup = "offset_test_group";
const std::string kBrokerAddress = "127.0.0.1:10911";

MessageQueue queue(int queue_id, const std::string& topic = "T", const std::string& broker = "broker-a") {
  MessageQueue result;
  result.topic = topic;
  result.broker_name = broker;
  result.queue_id = queue_id;
  return result;
}

// A store wired to the fake: broker-a is at kBrokerAddress, every other broker is unknown.
struct RemoteFixture {
  FakeMQClientAPI api;
  RemoteBrokerOffsetStore store{api, kGroup,
                                [](const std::string& broker_name) -> std::optional<std::string> {
                                  if (broker_name == "broker-a") return kBrokerAddress;
                                  return std::nullopt;
                                }};
};

// A fresh directory under the system temp dir, removed afterwards.
struct TempDirectory {
  fs::path path = fs::temp_directory_path() / rocketmq::test::unique_name("rocketmq_offsets");
  ~TempDirectory() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

fs::path with_suffix(fs::path path, const char* suffix) {
  path += suffix;
  return path;
}

}  // namespace

// ---- RemoteBrokerOffsetStore ---------------------------------------------------------------------

TEST_CASE("remote store: a group the broker does not know reads none from the store", "[offset]") {
  RemoteFixture fixture;
  CHECK(fixture.store.read_offset(queue(0), ReadOffsetType::Memory) == StoredOffset::none());
  CHECK(fixture.api.call_count("query_consumer_offset") == 0);

  CHECK(fixture.store.read_offset(queue(0), ReadOffsetType::Store) == StoredOffset::none());
  const auto queries = fixture.api.offset_queries();
  REQUIRE(queries.size() == 1);
  CHECK(queries[0].broker_addr == kBrokerAddress);
  CHECK(queries[0].header.consumer_group == kGroup);
  CHECK(queries[0].header.topic == "T");
  CHECK(queries[0].header.queue_id == 0);
  // Otherwise the broker answers 0 and ConsumeFromWhere would never apply to a new group.
  CHECK(queries[0].header.set_zero_if_not_found == std::optional<bool>(false));
  CHECK(queries[0].header.broker_name == std::optional<std::string>("broker-a"));

  CHECK(fixture.store.read_offset(queue(0), ReadOffsetType::MemoryThenStore) == StoredOffset::none());
  CHECK(fixture.store.offsets("").empty());
}

TEST_CASE("remote store: Store reads the broker and does not touch memory", "[offset]") {
  RemoteFixture fixture;
  fixture.api.set_committed_offset(kGroup, queue(1), 42);
  fixture.api.set_committed_offset("other_group", queue(1), 7);
  CHECK(fixture.store.read_offset(queue(1), ReadOffsetType::Store) == StoredOffset::at(42));
  CHECK(fixture.store.read_offset(queue(1), ReadOffsetType::Memory) == StoredOffset::none());

  fixture.store.update_offset(queue(1), 50, false);
  CHECK(fixture.store.read_offset(queue(1), ReadOffsetType::Store) == StoredOffset::at(42));
  CHECK(fixture.store.read_offset(queue(1), ReadOffsetType::Memory) == StoredOffset::at(50));
}

TEST_CASE("remote store: a broker that cannot be asked reads unknown", "[offset]") {
  RemoteFixture fixture;
  fixture.api.set_committed_offset(kGroup, queue(0), 5);

  SECTION("transport error") {
    fixture.api.fail_next("query_consumer_offset",
                          std::make_exception_ptr(rocketmq::TimeoutError("slow broker")));
    CHECK(fixture.store.read_offset(queue(0), ReadOffsetType::Store) ==
          StoredOffset::unknown());
  }
  SECTION("an error code other than QUERY_NOT_FOUND") {
    fixture.api.fail_next(
        "query_consumer_offset",
        FakeMQClientAPI::broker_error(static_cast<int>(rocketmq::protocol::ResponseCode::kSystemBusy)));
    CHECK(fixture.store.read_offset(queue(0), ReadOffsetType::MemoryThenStore) == StoredOffset::unknown());
  }
  SECTION("unknown broker address") {
    CHECK(fixture.store.read_offset(queue(0, "T", "broker-x"), ReadOffsetType::Store) == StoredOffset::unknown());
    CHECK(fixture.api.call_count("query_consumer_offset") == 0);
  }
  // Nothing unknown is cached: the next read asks again and gets the real value.
  CHECK(fixture.store.read_offset(queue(0), ReadOffsetType::Memory) == StoredOffset::none());
  CHECK(fixture.store.read_offset(queue(0), ReadOffsetType::MemoryThenStore) == StoredOffset::at(5));
}

TEST_CASE("remote store: MemoryThenStore caches the broker's offset", "[offset]") {
  RemoteFixture fixture;
  fixture.api.set_committed_offset(kGroup, queue(2), 100);
  CHECK(fixture.store.read_offset(queue(2), ReadOffsetType::MemoryThenStore) == StoredOffset::at(100));
  fixture.api.set_committed_offset(kGroup, queue(2), 900);
  CHECK(fixture.store.read_offset(queue(2), ReadOffsetType::MemoryThenStore) == StoredOffset::at(100));
  CHECK(fixture.store.read_offset(queue(2), ReadOffsetType::Memory) == StoredOffset::at(100));
  CHECK(fixture.api.call_count("query_consumer_offset") == 1);

  // The cached value is what the broker holds: nothing to send back.
  fixture.store.persist_all({queue(2)});
  CHECK(fixture.api.offset_updates().empty());
}

TEST_CASE("remote store: increase_only keeps the highest offset", "[offset]") {
  RemoteFixture fixture;
  fixture.store.update_offset(queue(0), 10, true);
  CHECK(fixture.store.read_offset(queue(0), ReadOffsetType::Memory) == StoredOffset::at(10));
  fixture.store.update_offset(queue(0), 5, true);
  CHECK(fixture.store.read_offset(queue(0), ReadOffsetType::Memory) == StoredOffset::at(10));
  fixture.store.update_offset(queue(0), 12, true);
  CHECK(fixture.store.read_offset(queue(0), ReadOffsetType::Memory) == StoredOffset::at(12));
  // A reset (seek) may move backwards.
  fixture.store.update_offset(queue(0), 3, false);
  CHECK(fixture.store.read_offset(queue(0), ReadOffsetType::Memory) == StoredOffset::at(3));
}

TEST_CASE("remote store: persist_all sends oneway updates for changed queues only", "[offset]") {
  RemoteFixture fixture;
  fixture.store.update_offset(queue(0), 10, false);
  fixture.store.update_offset(queue(1), 20, false);
  fixture.store.update_offset(queue(3), 30, false);  // not in the persisted set

  fixture.store.persist_all({queue(0), queue(1), queue(2)});
  auto updates = fixture.api.offset_updates();
  REQUIRE(updates.size() == 2);
  for (const auto& update : updates) {
    CHECK(update.oneway);
    CHECK(update.broker_addr == kBrokerAddress);
    CHECK(update.header.consumer_group == kGroup);
    CHECK(update.header.topic == "T");
    CHECK(update.header.broker_name == std::optional<std::string>("broker-a"));
  }
  CHECK(updates[0].header.queue_id == 0);
  CHECK(updates[0].header.commit_offset == 10);
  CHECK(updates[1].header.queue_id == 1);
  CHECK(updates[1].header.commit_offset == 20);
  CHECK(fixture.api.committed_offset(kGroup, queue(0)) == std::optional<std::int64_t>(10));
  CHECK_FALSE(fixture.api.committed_offset(kGroup, queue(3)).has_value());

  fixture.api.clear_calls();
  fixture.store.persist_all({queue(0), queue(1), queue(2)});
  CHECK(fixture.api.offset_updates().empty());

  fixture.store.update_offset(queue(1), 21, true);
  fixture.store.persist_all({queue(0), queue(1), queue(2)});
  updates = fixture.api.offset_updates();
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].header.queue_id == 1);
  CHECK(updates[0].header.commit_offset == 21);
}

TEST_CASE("remote store: a failed persist_all is retried on the next round", "[offset]") {
  RemoteFixture fixture;
  fixture.store.update_offset(queue(0), 10, false);
  fixture.store.update_offset(queue(0, "T", "broker-x"), 10, false);  // no address: logged, skipped
  fixture.api.fail_next("update_consumer_offset", std::make_exception_ptr(rocketmq::ConnectError("down")));
  CHECK_NOTHROW(fixture.store.persist_all({queue(0), queue(0, "T", "broker-x")}));
  CHECK_FALSE(fixture.api.committed_offset(kGroup, queue(0)).has_value());

  fixture.store.persist_all({queue(0)});
  CHECK(fixture.api.committed_offset(kGroup, queue(0)) == std::optional<std::int64_t>(10));
}

TEST_CASE("remote store: persist commits one queue synchronously", "[offset]") {
  RemoteFixture fixture;
  fixture.store.persist(queue(0));  // unknown queue: nothing to send
  CHECK(fixture.api.offset_updates().empty());

  fixture.store.update_offset(queue(0), 77, false);
  fixture.store.persist(queue(0));
  auto updates = fixture.api.offset_updates();
  REQUIRE(updates.size() == 1);
  CHECK_FALSE(updates[0].oneway);
  CHECK(updates[0].header.commit_offset == 77);
  CHECK(fixture.api.committed_offset(kGroup, queue(0)) == std::optional<std::int64_t>(77));

  // Already on the broker: the periodic round has nothing to add.
  fixture.store.persist_all({queue(0)});
  CHECK(fixture.api.offset_updates().size() == 1);

  fixture.store.update_offset(queue(0), 78, false);
  fixture.api.fail_next(
      "update_consumer_offset",
      FakeMQClientAPI::broker_error(static_cast<int>(rocketmq::protocol::ResponseCode::kSystemError)));
  CHECK_NOTHROW(fixture.store.persist(queue(0)));
  CHECK(fixture.api.committed_offset(kGroup, queue(0)) == std::optional<std::int64_t>(77));
}

namespace {

// Holds the first oneway offset update inside the send until released, as a thread preempted
// between reading an offset and writing it to the socket would.
class HoldingOnewayAPI : public FakeMQClientAPI {
 public:
  void update_consumer_offset(const std::string& broker_addr,
                              const rocketmq::protocol::UpdateConsumerOffsetRequestHeader& header,
                              bool oneway) override {
    if (oneway) hold.hold_if_first();
    FakeMQClientAPI::update_consumer_offset(broker_addr, header, oneway);
  }
  bool wait_until_holding(std::chrono::milliseconds timeout) { return hold.wait_until_holding(timeout); }
  void release() { hold.release(); }

  rocketmq::test::FirstCallHold hold;
};

}  // namespace

TEST_CASE("remote store: a periodic update held mid-send never lands after a newer synchronous commit",
          "[offset]") {
  // The hand-over race: the periodic round reads offset 10 and stalls before sending it; the queue
  // consumes one more message and is handed over, committing 11 synchronously. The broker must end
  // with 11, or the next owner delivers offset 10 again.
  HoldingOnewayAPI api;
  RemoteBrokerOffsetStore store{api, kGroup, [](const std::string&) -> std::optional<std::string> {
                                  return kBrokerAddress;
                                }};
  store.update_offset(queue(0), 10, false);
  std::thread periodic([&] { store.persist_all({queue(0)}); });
  REQUIRE(api.wait_until_holding(std::chrono::seconds(10)));

  store.update_offset(queue(0), 11, true);
  std::thread hand_over([&] { CHECK(store.persist(queue(0))); });
  // Unfixed, the synchronous commit lands at once; fixed, it waits for the held round. Either way
  // the held send is released once it shows or after a bound.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (std::chrono::steady_clock::now() < deadline && api.offset_updates().empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  api.release();
  periodic.join();
  hand_over.join();

  const auto updates = api.offset_updates();
  REQUIRE(updates.size() == 2);
  CHECK(updates[0].oneway);
  CHECK(updates[0].header.commit_offset == 10);
  CHECK_FALSE(updates[1].oneway);
  CHECK(updates[1].header.commit_offset == 11);
  CHECK(api.committed_offset(kGroup, queue(0)) == std::optional<std::int64_t>(11));
}

TEST_CASE("remote store: a periodic round leaves a broker alone while a synchronous commit to it runs",
          "[offset]") {
  HoldingOnewayAPI api;
  RemoteBrokerOffsetStore store{api, kGroup, [](const std::string&) -> std::optional<std::string> {
                                  return kBrokerAddress;
                                }};
  store.update_offset(queue(0), 5, false);
  store.update_offset(queue(0, "T", "broker-b"), 6, false);
  std::thread periodic([&] { store.persist_all({queue(0)}); });
  REQUIRE(api.wait_until_holding(std::chrono::seconds(10)));
  // broker-a's sender is busy (held): a second round skips broker-a and still serves broker-b.
  store.persist_all({queue(0), queue(0, "T", "broker-b")});
  auto updates = api.offset_updates();
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].header.broker_name == std::optional<std::string>("broker-b"));
  api.release();
  periodic.join();
  CHECK(api.committed_offset(kGroup, queue(0)) == std::optional<std::int64_t>(5));
}

TEST_CASE("remote store: remove_offset forgets the queue", "[offset]") {
  RemoteFixture fixture;
  fixture.store.update_offset(queue(0), 5, false);
  fixture.store.update_offset(queue(0, "U"), 6, false);
  CHECK(fixture.store.offsets("") == std::map<MessageQueue, std::int64_t>{{queue(0), 5}, {queue(0, "U"), 6}});
  CHECK(fixture.store.offsets("U") == std::map<MessageQueue, std::int64_t>{{queue(0, "U"), 6}});

  fixture.store.remove_offset(queue(0));
  CHECK(fixture.store.read_offset(queue(0), ReadOffsetType::Memory) == StoredOffset::none());
  CHECK(fixture.store.offsets("T").empty());
  fixture.store.persist_all({queue(0)});
  fixture.store.persist(queue(0));
  CHECK(fixture.api.offset_updates().empty());
}

// ---- LocalFileOffsetStore ------------------------------------------------------------------------

TEST_CASE("local store: offsets survive a restart through the file", "[offset]") {
  TempDirectory directory;
  {
    LocalFileOffsetStore store(directory.path.string(), "client@1", kGroup);
    store.load();
    CHECK(store.offsets("").empty());
    CHECK(store.file_path() == directory.path / "client@1" / kGroup / "offsets.json");
    store.update_offset(queue(0), 42, true);
    store.update_offset(queue(1), 7, true);
    store.update_offset(queue(0, "U", "broker-b"), 3, true);
    store.persist_all({queue(0), queue(1)});
    store.persist(queue(0, "U", "broker-b"));
    CHECK(store.read_offset(queue(0), ReadOffsetType::Store) == StoredOffset::at(42));
  }
  LocalFileOffsetStore restarted(directory.path.string(), "client@1", kGroup);
  CHECK(restarted.read_offset(queue(0), ReadOffsetType::Store) == StoredOffset::none());  // before load
  restarted.load();
  CHECK(restarted.offsets("") ==
        std::map<MessageQueue, std::int64_t>{{queue(0), 42}, {queue(1), 7}, {queue(0, "U", "broker-b"), 3}});
  CHECK(restarted.read_offset(queue(0), ReadOffsetType::Store) == StoredOffset::at(42));
  CHECK(restarted.read_offset(queue(1), ReadOffsetType::Memory) == StoredOffset::at(7));
  CHECK(restarted.read_offset(queue(2), ReadOffsetType::MemoryThenStore) == StoredOffset::none());

  // Another client id or group has its own file.
  LocalFileOffsetStore other(directory.path.string(), "client@2", kGroup);
  other.load();
  CHECK(other.offsets("").empty());
}

TEST_CASE("local store: the file uses the Java client's format", "[offset]") {
  TempDirectory directory;
  LocalFileOffsetStore store(directory.path.string(), "client", kGroup);
  store.load();
  store.update_offset(queue(1), 7, false);
  store.update_offset(queue(0), 42, false);
  store.persist_all({queue(0), queue(1)});
  CHECK(read_text(store.file_path()) ==
        R"({"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:42,)"
        R"({"brokerName":"broker-a","queueId":1,"topic":"T"}:7}})");

  // What the Java client writes (fastjson, pretty-printed) reads back.
  const std::string java_file =
      "{\n\t\"offsetTable\":{{\n\t\t\t\"brokerName\":\"broker-a\",\n\t\t\t\"queueId\":3,\n\t\t\t\"topic\":"
      "\"T\"\n"
      "\t\t}:9,{\n\t\t\t\"brokerName\":\"broker-b\",\n\t\t\t\"queueId\":0,\n\t\t\t\"topic\":\"T\"\n\t\t}:"
      "9007199254740993\n\t}\n}";
  CHECK(LocalFileOffsetStore::parse(java_file) ==
        std::map<MessageQueue, std::int64_t>{{queue(3), 9}, {queue(0, "T", "broker-b"), 9007199254740993}});
  CHECK(LocalFileOffsetStore::parse(R"({})").empty());
  CHECK(LocalFileOffsetStore::parse(R"({"offsetTable":{}})").empty());
  CHECK_THROWS_AS(LocalFileOffsetStore::parse(R"({"offsetTable":{{"queueId":0}:1}})"),
                  rocketmq::ProtocolError);
  CHECK_THROWS_AS(LocalFileOffsetStore::parse(""), rocketmq::ProtocolError);
}

TEST_CASE("local store: writes are atomic and keep the previous file as backup", "[offset]") {
  TempDirectory directory;
  LocalFileOffsetStore store((directory.path / "not" / "yet" / "there").string(), "client", kGroup);
  store.load();
  CHECK_FALSE(fs::exists(store.file_path()));
  store.persist_all({queue(0)});  // nothing known: no file
  CHECK_FALSE(fs::exists(store.file_path()));

  store.update_offset(queue(0), 1, true);
  store.persist_all({queue(0)});
  const fs::path backup = with_suffix(store.file_path(), ".bak");
  const fs::path temporary = with_suffix(store.file_path(), ".tmp");
  CHECK(LocalFileOffsetStore::parse(read_text(store.file_path())) ==
        std::map<MessageQueue, std::int64_t>{{queue(0), 1}});
  CHECK_FALSE(fs::exists(temporary));
  CHECK_FALSE(fs::exists(backup));  // there was no previous file

  store.update_offset(queue(0), 2, true);
  store.persist_all({queue(0)});
  CHECK(LocalFileOffsetStore::parse(read_text(store.file_path())) ==
        std::map<MessageQueue, std::int64_t>{{queue(0), 2}});
  CHECK(LocalFileOffsetStore::parse(read_text(backup)) ==
        std::map<MessageQueue, std::int64_t>{{queue(0), 1}});
  CHECK_FALSE(fs::exists(temporary));

  // Unchanged offsets cost no write: the backup still holds the state before the last change.
  store.persist_all({queue(0)});
  CHECK(LocalFileOffsetStore::parse(read_text(backup)) ==
        std::map<MessageQueue, std::int64_t>{{queue(0), 1}});

  // A crash between writing the temporary file and the rename leaves the main file intact.
  write_text(temporary, "{\"offsetTa");
  LocalFileOffsetStore restarted((directory.path / "not" / "yet" / "there").string(), "client", kGroup);
  restarted.load();
  CHECK(restarted.read_offset(queue(0), ReadOffsetType::Store) == StoredOffset::at(2));
}

TEST_CASE("local store: Store reads what was loaded or written, not memory", "[offset]") {
  TempDirectory directory;
  LocalFileOffsetStore store(directory.path.string(), "client", kGroup);
  store.load();
  store.update_offset(queue(0), 10, false);
  CHECK(store.read_offset(queue(0), ReadOffsetType::Store) == StoredOffset::none());
  store.persist(queue(0));
  store.update_offset(queue(0), 11, false);
  CHECK(store.read_offset(queue(0), ReadOffsetType::Store) == StoredOffset::at(10));
  CHECK(store.read_offset(queue(0), ReadOffsetType::MemoryThenStore) == StoredOffset::at(11));

  // Memory only: the file keeps the last offset for whoever owns the queue next.
  store.remove_offset(queue(0));
  CHECK(store.read_offset(queue(0), ReadOffsetType::Memory) == StoredOffset::none());
  CHECK(store.read_offset(queue(0), ReadOffsetType::MemoryThenStore) == StoredOffset::at(10));
  CHECK(store.read_offset(queue(0), ReadOffsetType::Memory) == StoredOffset::at(10));

  // Persisting a subset keeps the other queues in the file.
  store.update_offset(queue(1), 5, false);
  store.persist_all({queue(1)});
  CHECK(LocalFileOffsetStore::parse(read_text(store.file_path())) ==
        std::map<MessageQueue, std::int64_t>{{queue(0), 10}, {queue(1), 5}});
}

TEST_CASE("local store: a corrupt file falls back to the backup", "[offset]") {
  TempDirectory directory;
  const fs::path main_file = directory.path / "client" / kGroup / "offsets.json";
  const fs::path backup = with_suffix(main_file, ".bak");
  write_text(backup, LocalFileOffsetStore::serialize({{queue(0), 40}, {queue(1), 41}}));

  SECTION("truncated") { write_text(main_file, R"({"offsetTable":{{"brokerName":"broker-a","queueId":0,)"); }
  SECTION("empty") { write_text(main_file, ""); }
  SECTION("missing") {}
  SECTION("wrong shape") { write_text(main_file, R"({"offsetTable":[1,2]})"); }

  LocalFileOffsetStore store(directory.path.string(), "client", kGroup);
  store.load();
  CHECK(store.offsets("") == std::map<MessageQueue, std::int64_t>{{queue(0), 40}, {queue(1), 41}});
  CHECK(store.read_offset(queue(1), ReadOffsetType::Store) == StoredOffset::at(41));

  // The next write repairs the main file and must not replace the good backup with the bad file.
  store.update_offset(queue(0), 50, true);
  store.persist_all({queue(0), queue(1)});
  CHECK(LocalFileOffsetStore::parse(read_text(main_file)) ==
        std::map<MessageQueue, std::int64_t>{{queue(0), 50}, {queue(1), 41}});
  CHECK(LocalFileOffsetStore::parse(read_text(backup)) ==
        std::map<MessageQueue, std::int64_t>{{queue(0), 40}, {queue(1), 41}});
}

TEST_CASE("local store: corrupt file and corrupt backup start empty", "[offset]") {
  TempDirectory directory;
  const fs::path main_file = directory.path / "client" / kGroup / "offsets.json";
  write_text(main_file, "not json at all");
  write_text(with_suffix(main_file, ".bak"), "{{{");

  LocalFileOffsetStore store(directory.path.string(), "client", kGroup);
  REQUIRE_NOTHROW(store.load());
  CHECK(store.offsets("").empty());
  CHECK(store.read_offset(queue(0), ReadOffsetType::MemoryThenStore) == StoredOffset::none());

  store.update_offset(queue(0), 3, true);
  store.persist_all({queue(0)});
  LocalFileOffsetStore restarted(directory.path.string(), "client", kGroup);
  restarted.load();
  CHECK(restarted.read_offset(queue(0), ReadOffsetType::Store) == StoredOffset::at(3));
}

// ---- FakeMQClientAPI -----------------------------------------------------------------------------
// The seam the consumer state-machine tests stand on; checked here with its first user.

TEST_CASE("fake API: pulls are answered from the queue, held pending, or failed", "[fake]") {
  using rocketmq::client::PullResult;
  using rocketmq::client::PullStatus;
  using namespace std::chrono_literals;

  FakeMQClientAPI api;
  api.set_broker_name(kBrokerAddress, "broker-a");
  rocketmq::protocol::PullMessageRequestHeader header;
  header.consumer_group = kGroup;
  header.topic = "T";
  header.queue_id = 0;

  struct Answer {
    std::int64_t next_begin_offset;
    bool failed;
    std::thread::id thread;
  };
  std::mutex mutex;
  std::vector<Answer> answers;
  auto callback = [&](PullResult&& result, std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mutex);
    answers.push_back({result.next_begin_offset, error != nullptr, std::this_thread::get_id()});
  };
  auto answered = [&](std::size_t count) {
    return rocketmq::test::wait_until(
        [&] {
          std::lock_guard<std::mutex> lock(mutex);
          return answers.size() == count;
        },
        5000ms);
  };

  PullResult found;
  found.status = PullStatus::Found;
  found.next_begin_offset = 5;
  api.push_pull_result(queue(0), found, 20ms);
  api.pull_message(kBrokerAddress, header, 1000ms, callback);
  CHECK(api.pending_pulls() == 0);
  REQUIRE(answered(1));

  // Nothing queued: held like a long poll until the test answers.
  api.pull_message(kBrokerAddress, header, 1000ms, callback);
  CHECK(api.pending_pulls() == 1);
  CHECK(api.pending_pulls(queue(0)) == 1);
  CHECK_FALSE(api.complete_next_pull(queue(1), PullResult{}));
  PullResult later;
  later.next_begin_offset = 9;
  CHECK(api.complete_next_pull(queue(0), later));
  REQUIRE(answered(2));
  CHECK(api.pending_pulls() == 0);

  api.fail_next("pull_message", std::make_exception_ptr(rocketmq::ConnectError("gone")));
  api.pull_message(kBrokerAddress, header, 1000ms, callback);
  REQUIRE(answered(3));

  api.pull_message(kBrokerAddress, header, 1000ms, callback);
  CHECK(api.fail_pending_pulls(std::make_exception_ptr(rocketmq::ConnectError("closed"))) == 1);
  REQUIRE(answered(4));
  CHECK(api.wait_idle());

  std::lock_guard<std::mutex> lock(mutex);
  CHECK(answers[0].next_begin_offset == 5);
  CHECK_FALSE(answers[0].failed);
  CHECK(answers[1].next_begin_offset == 9);
  CHECK_FALSE(answers[1].failed);
  CHECK(answers[2].failed);
  CHECK(answers[3].failed);
  for (const auto& answer : answers) CHECK(answer.thread != std::this_thread::get_id());
  CHECK(api.pull_calls().size() == 4);
  CHECK(api.call_count("pull_message") == 4);
}

TEST_CASE("fake API: routes, offsets, sends and locks behave like a small cluster", "[fake]") {
  FakeMQClientAPI api;
  rocketmq::protocol::TopicRouteData route;
  rocketmq::protocol::BrokerData broker;
  broker.cluster = "c";
  broker.broker_name = "broker-b";
  broker.broker_addrs[0] = "10.0.0.2:10911";
  route.broker_datas.push_back(broker);
  route.queue_datas.push_back({"broker-b", 2, 2, 6, 0});
  api.set_topic_route("T", route);
  CHECK(api.get_topic_route("T") == route);
  try {
    api.get_topic_route("missing");
    FAIL("expected TOPIC_NOT_EXIST");
  } catch (const rocketmq::BrokerError& error) {
    CHECK(error.response_code() == 17);
  }

  // No bname: the broker is found through the route's addresses.
  rocketmq::protocol::UpdateConsumerOffsetRequestHeader update;
  update.consumer_group = kGroup;
  update.topic = "T";
  update.queue_id = 1;
  update.commit_offset = 10;
  api.update_consumer_offset("10.0.0.2:10911", update, true);
  CHECK(api.committed_offset(kGroup, queue(1, "T", "broker-b")) == std::optional<std::int64_t>(10));

  rocketmq::protocol::QueryConsumerOffsetRequestHeader query;
  query.consumer_group = kGroup;
  query.topic = "T";
  query.queue_id = 0;
  CHECK(api.query_consumer_offset("10.0.0.2:10911", query) == 0);
  query.set_zero_if_not_found = false;
  CHECK_THROWS_AS(api.query_consumer_offset("10.0.0.2:10911", query), rocketmq::BrokerError);

  rocketmq::protocol::SendMessageRequestHeaderV2 send;
  send.producer_group = "p";
  send.topic = "T";
  send.queue_id = 1;
  CHECK(api.send_message("10.0.0.2:10911", send, false, "a", std::chrono::milliseconds(100))
            .header.queue_offset == 0);
  CHECK(api.send_message("10.0.0.2:10911", send, false, "b", std::chrono::milliseconds(100))
            .header.queue_offset == 1);
  CHECK(api.get_max_offset("10.0.0.2:10911", "T", 1) == 2);
  CHECK(api.send_calls().size() == 2);

  api.set_lock_owner(queue(1, "T", "broker-b"), "other");
  rocketmq::protocol::LockBatchRequestBody lock;
  lock.consumer_group = kGroup;
  lock.client_id = "me";
  lock.mq_set = {queue(0, "T", "broker-b"), queue(1, "T", "broker-b")};
  CHECK(api.lock_batch("10.0.0.2:10911", lock) == std::set<MessageQueue>{queue(0, "T", "broker-b")});
  rocketmq::protocol::UnlockBatchRequestBody unlock;
  unlock.consumer_group = kGroup;
  unlock.client_id = "me";
  unlock.mq_set = lock.mq_set;
  api.unlock_batch("10.0.0.2:10911", unlock, true);
  CHECK_FALSE(api.lock_owner(queue(0, "T", "broker-b")).has_value());
  CHECK(api.lock_owner(queue(1, "T", "broker-b")) == std::optional<std::string>("other"));

  api.set_broker_version(7);
  rocketmq::protocol::HeartbeatData heartbeat;
  heartbeat.client_id = "me";
  CHECK(api.send_heartbeat("10.0.0.2:10911", heartbeat) == 7);
  REQUIRE(api.heartbeats().size() == 1);
  CHECK(api.heartbeats()[0].heartbeat == heartbeat);
  api.clear_calls();
  CHECK(api.heartbeats().empty());
  CHECK(api.call_count("send_heartbeat") == 0);
}
