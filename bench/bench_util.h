// Shared pieces of the benchmark programs: a lock-free log-linear histogram, process CPU and
// peak RSS, a lock-free "seen" set per queue for exact counting, a tiny flag parser and a JSON
// line writer. bench/java/.../BenchConsumer.java implements the same histogram and the same
// figures, so the two sides are measured the same way.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace bench {

inline std::int64_t wall_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline double mono_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Process CPU time (user + sys, all threads), peak resident set and context switches, from
// getrusage(RUSAGE_SELF).
struct ProcessUsage {
  double user_s = 0;
  double sys_s = 0;
  long peak_rss_kb = 0;  // ru_maxrss: kilobytes on Linux
  long voluntary_switches = 0;    // ru_nvcsw: all threads, exited ones included
  long involuntary_switches = 0;  // ru_nivcsw
  double cpu_s() const { return user_s + sys_s; }
};

inline ProcessUsage process_usage() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  ProcessUsage result;
  result.user_s = static_cast<double>(usage.ru_utime.tv_sec) + static_cast<double>(usage.ru_utime.tv_usec) / 1e6;
  result.sys_s = static_cast<double>(usage.ru_stime.tv_sec) + static_cast<double>(usage.ru_stime.tv_usec) / 1e6;
  result.peak_rss_kb = usage.ru_maxrss;
  result.voluntary_switches = usage.ru_nvcsw;
  result.involuntary_switches = usage.ru_nivcsw;
  return result;
}

// Log-linear histogram of non-negative integers (milliseconds or microseconds): values below 2048
// are exact, larger ones are kept with 10 bits of mantissa (< 0.1 % error), up to 2^31.
// Recording is one relaxed fetch_add. Identical bucket layout in BenchConsumer.java.
class Histogram {
 public:
  static constexpr int kLinear = 2048;
  static constexpr int kSub = 1024;
  static constexpr int kBuckets = kLinear + 21 * kSub;

  static int bucket_of(std::int64_t value) {
    if (value < 0) value = 0;
    if (value < kLinear) return static_cast<int>(value);
    if (value >= (std::int64_t{1} << 31)) value = (std::int64_t{1} << 31) - 1;
    const int bits = 64 - __builtin_clzll(static_cast<unsigned long long>(value));  // >= 12
    const int shift = bits - 11;                                                      // >= 1
    return kLinear + (shift - 1) * kSub + static_cast<int>((value >> shift) - kSub);
  }
  static std::int64_t value_of(int bucket) {
    if (bucket < kLinear) return bucket;
    const int shift = (bucket - kLinear) / kSub + 1;
    const std::int64_t mantissa = (bucket - kLinear) % kSub + kSub;
    return mantissa << shift;
  }

  void record(std::int64_t value) {
    counts_[bucket_of(value)].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value < 0 ? 0 : value, std::memory_order_relaxed);
    std::int64_t seen = max_.load(std::memory_order_relaxed);
    while (value > seen && !max_.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
    }
  }

  std::int64_t count() const { return count_.load(); }
  std::int64_t max() const { return max_.load(); }
  double mean() const {
    const auto n = count_.load();
    return n > 0 ? static_cast<double>(sum_.load()) / static_cast<double>(n) : 0.0;
  }
  // Smallest recorded value v with at least q of the samples <= v (bucket lower bound).
  std::int64_t percentile(double q) const {
    std::int64_t total = 0;
    for (const auto& c : counts_) total += c.load(std::memory_order_relaxed);
    if (total == 0) return 0;
    const auto rank = static_cast<std::int64_t>(std::ceil(q * static_cast<double>(total)));
    std::int64_t cumulative = 0;
    for (int b = 0; b < kBuckets; ++b) {
      cumulative += counts_[b].load(std::memory_order_relaxed);
      if (cumulative >= std::max<std::int64_t>(rank, 1)) return value_of(b);
    }
    return max();
  }

 private:
  std::atomic<std::int64_t> counts_[kBuckets]{};
  std::atomic<std::int64_t> count_{0};
  std::atomic<std::int64_t> sum_{0};
  std::atomic<std::int64_t> max_{0};
};

// Exactly-once accounting of delivered messages: one bit per (broker, queue, queue offset), so
// redeliveries after a rebalance are not counted twice. Lock-free after a queue's first message.
// Bitmaps are anonymous mappings: only the pages of offsets actually seen become resident.
//
// share(path): the set lives in a file mapping (MAP_SHARED; on /dev/shm, sparse) that several
// processes open, so two consumers of one group count the backlog exactly once between them
// (compare.sh --pair). The file's header holds the distinct count and the first / last
// consumption times (CLOCK_REALTIME ns, comparable across processes) and the broker-name table.
class SeenSet {
 public:
  explicit SeenSet(std::int64_t max_offset_per_queue)
      : words_(static_cast<std::size_t>(max_offset_per_queue / 64 + 1)) {}
  ~SeenSet() {
    if (shared_ != nullptr) {
      munmap(shared_, shared_bytes());
      return;
    }
    for (auto& slot : slots_) {
      auto* bits = slot.bits.load();
      if (bits != nullptr) munmap(bits, words_ * sizeof(std::uint64_t));
    }
  }
  SeenSet(const SeenSet&) = delete;
  SeenSet& operator=(const SeenSet&) = delete;

  // Maps (creating it if needed) the shared file; every process must pass the same size. False
  // (and errno) when the file cannot be mapped.
  bool share(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0600);
    if (fd < 0) return false;
    const auto bytes = shared_bytes();
    if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
      ::close(fd);
      return false;
    }
    void* mapped = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
    ::close(fd);
    if (mapped == MAP_FAILED) return false;
    shared_ = static_cast<char*>(mapped);
    header_ = reinterpret_cast<SharedHeader*>(shared_);
    return true;
  }
  bool shared() const { return shared_ != nullptr; }
  // Shared mode: distinct messages counted by all processes, first / last consumption (ns).
  std::int64_t shared_unique() const { return header_ ? header_->unique.load() : 0; }
  std::int64_t shared_first_ns() const { return header_ ? header_->first_ns.load() : 0; }
  std::int64_t shared_last_ns() const { return header_ ? header_->last_ns.load() : 0; }
  // Shared mode: counts one new distinct message; returns the count including it.
  std::int64_t shared_count_new(std::int64_t expect) {
    const std::int64_t now = realtime_ns();
    std::int64_t zero = 0;
    header_->first_ns.compare_exchange_strong(zero, now);
    const std::int64_t total = header_->unique.fetch_add(1) + 1;
    if (total == expect) header_->last_ns.store(now);
    return total;
  }
  static std::int64_t realtime_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // True when (broker, queue, offset) had not been seen before.
  bool add(const std::string& broker, int queue_id, std::int64_t offset) {
    if (offset < 0 || static_cast<std::size_t>(offset / 64) >= words_ || queue_id < 0 || queue_id >= kQueues) {
      out_of_range_.fetch_add(1);
      return true;
    }
    auto* bits = bitmap(broker_index(broker) * kQueues + queue_id);
    auto* word = reinterpret_cast<std::atomic<std::uint64_t>*>(bits) + offset / 64;
    const std::uint64_t mask = std::uint64_t{1} << (offset % 64);
    return (word->fetch_or(mask, std::memory_order_relaxed) & mask) == 0;
  }
  std::int64_t out_of_range() const { return out_of_range_.load(); }

 private:
  static constexpr int kBrokers = 16;
  static constexpr int kQueues = 256;
  static constexpr std::size_t kHeaderBytes = 4096;
  static constexpr std::size_t kNameBytes = 120;
  struct Slot {
    std::atomic<std::uint64_t*> bits{nullptr};
  };
  struct SharedName {
    std::atomic<std::uint64_t> state;  // 0 free, 1 being written, 2 ready
    char name[kNameBytes];
  };
  struct SharedHeader {
    std::atomic<std::int64_t> unique;
    std::atomic<std::int64_t> first_ns;
    std::atomic<std::int64_t> last_ns;
    std::atomic<std::int64_t> reserved;
    SharedName names[kBrokers];
  };
  static_assert(sizeof(SharedHeader) <= kHeaderBytes, "shared header too large");

  std::size_t shared_bytes() const {
    return kHeaderBytes + static_cast<std::size_t>(kBrokers) * kQueues * words_ * sizeof(std::uint64_t);
  }

  // Shared mode: the broker's slot in the file's name table (claimed by the first process to see it).
  int shared_broker_index(const std::string& broker) {
    const std::string name = broker.substr(0, kNameBytes - 1);
    for (int i = 0; i < kBrokers; ++i) {
      auto& slot = header_->names[i];
      std::uint64_t state = slot.state.load();
      if (state == 0) {
        std::uint64_t expected = 0;
        if (slot.state.compare_exchange_strong(expected, 1)) {
          std::memset(slot.name, 0, kNameBytes);
          std::memcpy(slot.name, name.data(), name.size());
          slot.state.store(2);
          return i;
        }
        state = expected;
      }
      while (state == 1) state = slot.state.load();  // another process is writing this slot's name
      if (std::strncmp(slot.name, name.c_str(), kNameBytes) == 0) return i;
    }
    return kBrokers - 1;
  }

  int broker_index(const std::string& broker) {
    const int known = broker_count_.load(std::memory_order_acquire);
    for (int i = 0; i < known; ++i) {
      if (brokers_[i] == broker) return i;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    const int now = broker_count_.load();
    for (int i = 0; i < now; ++i) {
      if (brokers_[i] == broker) return i;
    }
    if (now == kBrokers) return kBrokers - 1;
    brokers_[now] = broker;
    shared_index_[now] = shared_ != nullptr ? shared_broker_index(broker) : now;
    broker_count_.store(now + 1, std::memory_order_release);
    return now;
  }

  std::uint64_t* bitmap(int index) {
    if (shared_ != nullptr) {
      const int slot = shared_index_[index / kQueues] * kQueues + index % kQueues;
      return reinterpret_cast<std::uint64_t*>(shared_ + kHeaderBytes) + static_cast<std::size_t>(slot) * words_;
    }
    auto* bits = slots_[index].bits.load(std::memory_order_acquire);
    if (bits != nullptr) return bits;
    std::lock_guard<std::mutex> lock(mutex_);
    bits = slots_[index].bits.load();
    if (bits == nullptr) {
      void* mapped = mmap(nullptr, words_ * sizeof(std::uint64_t), PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (mapped == MAP_FAILED) std::abort();
      bits = static_cast<std::uint64_t*>(mapped);
      slots_[index].bits.store(bits, std::memory_order_release);
    }
    return bits;
  }

  std::size_t words_;
  std::mutex mutex_;
  std::string brokers_[kBrokers];
  int shared_index_[kBrokers] = {};
  std::atomic<int> broker_count_{0};
  char* shared_ = nullptr;
  SharedHeader* header_ = nullptr;
  Slot slots_[kBrokers * kQueues];
  std::atomic<std::int64_t> out_of_range_{0};
};

// "--name value" / "--name=value" flags and bare positional words.
class Args {
 public:
  Args(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string word = argv[i];
      if (word.rfind("--", 0) == 0) {
        auto eq = word.find('=');
        if (eq != std::string::npos) {
          flags_[word.substr(2, eq - 2)] = word.substr(eq + 1);
        } else if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
          flags_[word.substr(2)] = argv[++i];
        } else {
          flags_[word.substr(2)] = "1";
        }
      } else {
        positional_.push_back(word);
      }
    }
  }
  bool has(const std::string& name) const { return flags_.count(name) != 0; }
  std::string get(const std::string& name, const std::string& fallback) const {
    auto it = flags_.find(name);
    return it == flags_.end() ? fallback : it->second;
  }
  long long get_int(const std::string& name, long long fallback) const {
    auto it = flags_.find(name);
    return it == flags_.end() ? fallback : std::atoll(it->second.c_str());
  }
  double get_double(const std::string& name, double fallback) const {
    auto it = flags_.find(name);
    return it == flags_.end() ? fallback : std::atof(it->second.c_str());
  }
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> flags_;
  std::vector<std::string> positional_;
};

// One flat JSON object, written in insertion order.
class Json {
 public:
  Json& add(const std::string& key, const std::string& value) {
    std::string escaped;
    for (char c : value) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    return raw(key, "\"" + escaped + "\"");
  }
  Json& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  Json& add(const std::string& key, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.6g", value);
    return raw(key, buffer);
  }
  Json& add(const std::string& key, std::int64_t value) { return raw(key, std::to_string(value)); }
  Json& add(const std::string& key, int value) { return raw(key, std::to_string(value)); }
  Json& add(const std::string& key, long long value) { return raw(key, std::to_string(value)); }
  std::string str() const { return "{" + body_ + "}"; }

 private:
  Json& raw(const std::string& key, const std::string& value) {
    if (!body_.empty()) body_ += ",";
    body_ += "\"" + key + "\":" + value;
    return *this;
  }
  std::string body_;
};

// The security flags of every bench program: --tls-ca FILE (TLS on, servers verified against it),
// --access-key AK --secret-key SK (signed requests). Works on ConsumerOption and ProducerOption.
template <typename Option>
void apply_security_flags(const Args& args, Option& option) {
  if (args.has("tls-ca")) {
    option.set_tls_enabled(true);
    option.set_tls_ca_file(args.get("tls-ca", ""));
  }
  if (args.has("access-key")) option.set_credentials(args.get("access-key", ""), args.get("secret-key", ""));
}

}  // namespace bench
