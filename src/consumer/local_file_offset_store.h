#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "consumer/offset_store.h"
#include "rocketmq/message_queue.h"

namespace rocketmq::consumer {

// Broadcasting progress, kept in `<directory>/<client_id>/<group>/offsets.json` in the Java client's
// format, so a consumer migrated between the clients keeps its place:
//   {"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:42,...}}
// (fastjson's bare object keys). Writes are atomic: offsets.json.tmp is written and fsynced, the
// previous file is copied to offsets.json.bak, and the tmp file is renamed over offsets.json.
//
// Store reads the table as last loaded from or written to the file; -1 when the queue is absent.
// The file keeps queues it is not told about, so persisting a subset never loses the others.
class LocalFileOffsetStore : public OffsetStore {
 public:
  LocalFileOffsetStore(std::string directory, std::string client_id, std::string group);

  // Reads offsets.json, or offsets.json.bak when the main file is missing, empty or corrupt. No
  // usable file means no offsets (logged when a file exists but cannot be read); never throws.
  void load() override;
  void update_offset(const MessageQueue& queue, std::int64_t offset, bool increase_only) override;
  StoredOffset read_offset(const MessageQueue& queue, ReadOffsetType type) override;
  // Writes the memory offsets of `queues` (those known) into the file; errors are logged.
  void persist_all(const std::set<MessageQueue>& queues) override;
  bool persist(const MessageQueue& queue) override;
  // Forgets the queue in memory only: the file keeps its last offset, for whoever consumes it next.
  void remove_offset(const MessageQueue& queue) override;
  std::map<MessageQueue, std::int64_t> offsets(const std::string& topic) const override;

  const std::filesystem::path& file_path() const noexcept { return file_path_; }

  // The file format, exposed for tests and tools. parse throws ProtocolError on malformed text.
  static std::string serialize(const std::map<MessageQueue, std::int64_t>& offsets);
  static std::map<MessageQueue, std::int64_t> parse(const std::string& text);

 private:
  // The offsets in `path`; nullopt when the file is missing. Throws when it cannot be read or parsed.
  static std::optional<std::map<MessageQueue, std::int64_t>> read_file(const std::filesystem::path& path);
  // Merges the memory offsets of `queues` into the file image and writes it if it changed.
  void write_offsets(const std::set<MessageQueue>& queues);
  // The atomic replacement of the main file; throws std::system_error or rocketmq::Error.
  void write_file_atomically(const std::string& text);

  const std::filesystem::path file_path_;
  const std::string group_;

  // Serialises file writers; taken before mutex_, never while holding it.
  std::mutex file_mutex_;
  // Whether offsets.json holds a valid table: only then is it worth copying to the backup, which
  // must not be overwritten by a corrupt main file we fell back from.
  bool main_file_valid_ = false;

  mutable std::mutex mutex_;
  std::map<MessageQueue, std::int64_t> memory_;
  std::map<MessageQueue, std::int64_t> stored_;  // the file's contents
};

}  // namespace rocketmq::consumer
