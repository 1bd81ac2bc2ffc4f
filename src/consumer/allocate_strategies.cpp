#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rocketmq/consumer_option.h"
#include "rocketmq/error.h"

// The built-in queue allocation strategies. Every consumer of a group computes its own share from
// the same sorted inputs, so each strategy must be a pure function of them; otherwise queues would
// be owned twice or not at all. All of them return nothing when the consumer is not in the list (its
// view of the group is stale; the next rebalance fixes it) or when the topic has no queues.
namespace rocketmq {

AllocateStrategy::~AllocateStrategy() = default;

namespace {

// Position of `consumer_id` in the list, or -1.
long index_of(const std::vector<std::string>& consumer_ids, const std::string& consumer_id) {
  const auto it = std::find(consumer_ids.begin(), consumer_ids.end(), consumer_id);
  return it == consumer_ids.end() ? -1 : static_cast<long>(it - consumer_ids.begin());
}

// Java AllocateMessageQueueAveragely: contiguous blocks; the first (queues % consumers) consumers
// take one queue more. With more consumers than queues the surplus consumers get nothing.
class AllocateAveragely final : public AllocateStrategy {
 public:
  std::string name() const override { return "AVG"; }

  std::vector<MessageQueue> allocate(const std::string& /*consumer_group*/, const std::string& consumer_id,
                                     const std::vector<MessageQueue>& all_queues,
                                     const std::vector<std::string>& all_consumer_ids) const override {
    std::vector<MessageQueue> result;
    const long index = index_of(all_consumer_ids, consumer_id);
    if (index < 0 || all_queues.empty()) return result;
    const long queues = static_cast<long>(all_queues.size());
    const long consumers = static_cast<long>(all_consumer_ids.size());
    const long mod = queues % consumers;
    const long average_size =
        queues <= consumers ? 1 : (mod > 0 && index < mod ? queues / consumers + 1 : queues / consumers);
    const long start_index = (mod > 0 && index < mod) ? index * average_size : index * average_size + mod;
    // Negative for the surplus consumers when there are fewer queues than consumers.
    const long range = std::min(average_size, queues - start_index);
    for (long i = 0; i < range; ++i)
      result.push_back(all_queues[static_cast<std::size_t>((start_index + i) % queues)]);
    return result;
  }
};

// Java AllocateMessageQueueAveragelyByCircle: queue i goes to consumer i % consumers.
class AllocateAveragelyByCircle final : public AllocateStrategy {
 public:
  std::string name() const override { return "AVG_BY_CIRCLE"; }

  std::vector<MessageQueue> allocate(const std::string& /*consumer_group*/, const std::string& consumer_id,
                                     const std::vector<MessageQueue>& all_queues,
                                     const std::vector<std::string>& all_consumer_ids) const override {
    std::vector<MessageQueue> result;
    const long index = index_of(all_consumer_ids, consumer_id);
    if (index < 0) return result;
    const std::size_t consumers = all_consumer_ids.size();
    for (std::size_t i = static_cast<std::size_t>(index); i < all_queues.size(); i += consumers) {
      result.push_back(all_queues[i]);
    }
    return result;
  }
};

// Java MD5Hash (common/consistenthash/ConsistentHashRouter): the first four bytes of the MD5 digest
// of the key's bytes, big-endian, as a non-negative number. Reproduced exactly so that C++ and Java
// consumers of one group agree on the ring.
std::uint32_t md5_ring_hash(const std::string& key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  if (EVP_Digest(key.data(), key.size(), digest, &digest_length, EVP_md5(), nullptr) != 1 ||
      digest_length < 4) {
    // Only possible when MD5 is disabled (a FIPS-only OpenSSL); a silent fallback hash would split
    // the group's view of the ring, so refuse loudly.
    throw ClientError("allocate_by_consistent_hash needs MD5, which this OpenSSL build does not provide");
  }
  return (std::uint32_t{digest[0]} << 24) | (std::uint32_t{digest[1]} << 16) |
         (std::uint32_t{digest[2]} << 8) | std::uint32_t{digest[3]};
}

// Java MessageQueue.toString(), the key the Java strategy hashes for each queue.
std::string java_queue_key(const MessageQueue& queue) {
  return "MessageQueue [topic=" + queue.topic + ", brokerName=" + queue.broker_name +
         ", queueId=" + std::to_string(queue.queue_id) + "]";
}

// Java AllocateMessageQueueConsistentHash with its default MD5 hash: each consumer is placed on the
// ring `virtual_nodes` times under the keys "<consumer id>-<i>"; a queue belongs to the first node at
// or after the hash of its Java toString(), wrapping around. Adding or removing a consumer moves only
// the queues in the arcs next to its nodes. On a hash collision the later node wins, as with Java's
// TreeMap.put.
class AllocateByConsistentHash final : public AllocateStrategy {
 public:
  explicit AllocateByConsistentHash(int virtual_nodes) : virtual_nodes_(virtual_nodes) {}

  std::string name() const override { return "CONSISTENT_HASH"; }

  std::vector<MessageQueue> allocate(const std::string& /*consumer_group*/, const std::string& consumer_id,
                                     const std::vector<MessageQueue>& all_queues,
                                     const std::vector<std::string>& all_consumer_ids) const override {
    std::vector<MessageQueue> result;
    if (index_of(all_consumer_ids, consumer_id) < 0 || all_queues.empty()) return result;
    std::map<std::uint32_t, const std::string*> ring;
    for (const std::string& id : all_consumer_ids) {
      for (int i = 0; i < virtual_nodes_; ++i) ring[md5_ring_hash(id + "-" + std::to_string(i))] = &id;
    }
    for (const MessageQueue& queue : all_queues) {
      auto node = ring.lower_bound(md5_ring_hash(java_queue_key(queue)));
      if (node == ring.end()) node = ring.begin();
      if (*node->second == consumer_id) result.push_back(queue);
    }
    return result;
  }

 private:
  int virtual_nodes_;
};

// Java AllocateMessageQueueByConfig hands out its list whatever the topic. Here the list is
// intersected with the topic's current queues (in their order), so a consumer never "owns" a queue
// of another topic or one that no longer exists.
class AllocateByConfig final : public AllocateStrategy {
 public:
  explicit AllocateByConfig(std::vector<MessageQueue> queues) : queues_(std::move(queues)) {
    std::sort(queues_.begin(), queues_.end());
  }

  std::string name() const override { return "CONFIG"; }

  std::vector<MessageQueue> allocate(const std::string& /*consumer_group*/, const std::string& consumer_id,
                                     const std::vector<MessageQueue>& all_queues,
                                     const std::vector<std::string>& all_consumer_ids) const override {
    std::vector<MessageQueue> result;
    if (index_of(all_consumer_ids, consumer_id) < 0) return result;
    for (const MessageQueue& queue : all_queues) {
      if (std::binary_search(queues_.begin(), queues_.end(), queue)) result.push_back(queue);
    }
    return result;
  }

 private:
  std::vector<MessageQueue> queues_;  // sorted for binary_search
};

// More virtual nodes smooth the distribution but cost an MD5 each per rebalance and consumer.
constexpr int kMaxVirtualNodes = 10000;

}  // namespace

std::shared_ptr<AllocateStrategy> allocate_averagely() { return std::make_shared<AllocateAveragely>(); }

std::shared_ptr<AllocateStrategy> allocate_averagely_by_circle() {
  return std::make_shared<AllocateAveragelyByCircle>();
}

std::shared_ptr<AllocateStrategy> allocate_by_consistent_hash(int virtual_nodes) {
  if (virtual_nodes < 1 || virtual_nodes > kMaxVirtualNodes) {
    throw ClientError("allocate_by_consistent_hash virtual_nodes must be 1.." +
                      std::to_string(kMaxVirtualNodes) + ", got " + std::to_string(virtual_nodes));
  }
  return std::make_shared<AllocateByConsistentHash>(virtual_nodes);
}

std::shared_ptr<AllocateStrategy> allocate_by_config(std::vector<MessageQueue> queues) {
  return std::make_shared<AllocateByConfig>(std::move(queues));
}

}  // namespace rocketmq
