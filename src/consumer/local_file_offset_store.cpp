#include "consumer/local_file_offset_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "common/log.h"
#include "protocol/bodies/json_util.h"
#include "protocol/lenient_json.h"
#include "protocol/message_queue_data.h"
#include "rocketmq/error.h"

namespace rocketmq::consumer {
namespace {

namespace fs = std::filesystem;

constexpr const char* kContext = "offsets.json";

// Closes a POSIX descriptor on every path out of the writer.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error a deferred write may only reveal here.
  void close_checked(const fs::path& path) {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw std::system_error(errno, std::generic_category(), "close " + path.string());
  }

 private:
  int fd_;
};

fs::path with_suffix(const fs::path& path, const char* suffix) {
  fs::path result = path;
  result += suffix;
  return result;
}

// Writes `text` to `path` (truncating) and waits until it is on disk.
void write_durably(const fs::path& path, const std::string& text) {
  FileDescriptor file(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (file.get() < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t count = ::write(file.get(), text.data() + written, text.size() - written);
    if (count < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "write " + path.string());
    }
    written += static_cast<std::size_t>(count);
  }
  if (::fsync(file.get()) != 0)
    throw std::system_error(errno, std::generic_category(), "fsync " + path.string());
  file.close_checked(path);
}

// Makes a rename in `directory` durable. Best effort: some file systems refuse fsync on directories,
// and the data itself is already safe.
void sync_directory(const fs::path& directory) {
  FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
    LOG_DEBUG("fsync of directory " << directory.string() << " failed: " << std::strerror(errno));
  }
}

}  // namespace

LocalFileOffsetStore::LocalFileOffsetStore(std::string directory, std::string client_id, std::string group)
    : file_path_(fs::path(std::move(directory)) / client_id / group / "offsets.json"),
      group_(std::move(group)) {}

std::string LocalFileOffsetStore::serialize(const std::map<MessageQueue, std::int64_t>& offsets) {
  rapidjson::StringBuffer buffer;
  protocol::json::Writer writer(buffer);
  writer.StartObject();
  writer.Key("offsetTable");
  writer.StartObject();
  for (const auto& [queue, offset] : offsets) {
    protocol::write_message_queue_key(writer, queue);
    writer.Int64(offset);
  }
  writer.EndObject();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::map<MessageQueue, std::int64_t> LocalFileOffsetStore::parse(const std::string& text) {
  rapidjson::Document document = protocol::parse_lenient_json(text);
  protocol::json::require_object(document, kContext);
  std::map<MessageQueue, std::int64_t> offsets;
  // Java's OffsetSerializeWrapper writes no table when it is null; that reads as "no offsets".
  const rapidjson::Value* table = protocol::json::find_member(document, "offsetTable");
  if (table == nullptr) return offsets;
  protocol::json::require_object(*table, "offsets.json offsetTable");
  for (auto it = table->MemberBegin(); it != table->MemberEnd(); ++it) {
    const MessageQueue queue = protocol::parse_message_queue_key(protocol::json::view_of(it->name));
    offsets[queue] = protocol::json::to_int64(it->value, "offsetTable", kContext);
  }
  return offsets;
}

std::optional<std::map<MessageQueue, std::int64_t>> LocalFileOffsetStore::read_file(const fs::path& path) {
  std::error_code error;
  if (!fs::exists(path, error)) {
    if (error) throw std::system_error(error, "stat " + path.string());
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) throw std::runtime_error("cannot open " + path.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error("cannot read " + path.string());
  return parse(text);
}

void LocalFileOffsetStore::load() {
  std::lock_guard<std::mutex> file_lock(file_mutex_);
  const fs::path backup_path = with_suffix(file_path_, ".bak");
  std::optional<std::map<MessageQueue, std::int64_t>> loaded;
  bool main_file_valid = false;
  try {
    loaded = read_file(file_path_);
    main_file_valid = loaded.has_value();
  } catch (const std::exception& error) {
    LOG_WARN("offsets of group " << group_ << ": " << file_path_.string() << " unusable (" << error.what()
                                 << "), trying the backup");
  }
  if (!loaded) {
    try {
      loaded = read_file(backup_path);
      if (loaded) LOG_WARN("offsets of group " << group_ << " restored from " << backup_path.string());
    } catch (const std::exception& error) {
      LOG_WARN("offsets of group " << group_ << ": backup " << backup_path.string() << " unusable ("
                                   << error.what() << "), starting without offsets");
    }
  }
  main_file_valid_ = main_file_valid;

  std::lock_guard<std::mutex> lock(mutex_);
  stored_ = loaded.value_or(std::map<MessageQueue, std::int64_t>{});
  for (const auto& [queue, offset] : stored_) memory_[queue] = offset;
}

void LocalFileOffsetStore::update_offset(const MessageQueue& queue, std::int64_t offset, bool increase_only) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = memory_.emplace(queue, offset);
  if (inserted || (increase_only && offset <= it->second)) return;
  it->second = offset;
}

StoredOffset LocalFileOffsetStore::read_offset(const MessageQueue& queue, ReadOffsetType type) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (type != ReadOffsetType::Store) {
    auto it = memory_.find(queue);
    if (it != memory_.end()) return StoredOffset::at(it->second);
    if (type == ReadOffsetType::Memory) return StoredOffset::none();
  }
  auto stored = stored_.find(queue);
  if (stored == stored_.end()) return StoredOffset::none();
  if (type == ReadOffsetType::MemoryThenStore) memory_.emplace(queue, stored->second);
  return StoredOffset::at(stored->second);
}

void LocalFileOffsetStore::persist_all(const std::set<MessageQueue>& queues) { write_offsets(queues); }

bool LocalFileOffsetStore::persist(const MessageQueue& queue) {
  write_offsets({queue});
  return true;
}

void LocalFileOffsetStore::write_offsets(const std::set<MessageQueue>& queues) {
  std::lock_guard<std::mutex> file_lock(file_mutex_);
  std::map<MessageQueue, std::int64_t> image;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    image = stored_;
    for (const MessageQueue& queue : queues) {
      auto it = memory_.find(queue);
      if (it != memory_.end()) image[queue] = it->second;
    }
    // Periodic persistence of an idle consumer costs no disk writes. A corrupt main file is
    // rewritten as soon as there is something to write.
    if (image == stored_ && (main_file_valid_ || image.empty())) return;
  }
  try {
    write_file_atomically(serialize(image));
  } catch (const std::exception& error) {
    LOG_ERROR("persisting offsets of group " << group_ << " to " << file_path_.string()
                                             << " failed: " << error.what());
    return;
  }
  main_file_valid_ = true;
  std::lock_guard<std::mutex> lock(mutex_);
  stored_ = std::move(image);
}

void LocalFileOffsetStore::write_file_atomically(const std::string& text) {
  const fs::path directory = file_path_.parent_path();
  fs::create_directories(directory);
  const fs::path temporary_path = with_suffix(file_path_, ".tmp");
  write_durably(temporary_path, text);
  if (main_file_valid_ && fs::exists(file_path_)) {
    fs::copy_file(file_path_, with_suffix(file_path_, ".bak"), fs::copy_options::overwrite_existing);
  }
  // rename(2) replaces atomically: a reader or a crash sees the old file or the new one, whole.
  fs::rename(temporary_path, file_path_);
  sync_directory(directory);
}

void LocalFileOffsetStore::remove_offset(const MessageQueue& queue) {
  std::lock_guard<std::mutex> lock(mutex_);
  memory_.erase(queue);
}

std::map<MessageQueue, std::int64_t> LocalFileOffsetStore::offsets(const std::string& topic) const {
  std::map<MessageQueue, std::int64_t> result;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [queue, offset] : memory_) {
    if (topic.empty() || queue.topic == topic) result.emplace(queue, offset);
  }
  return result;
}

}  // namespace rocketmq::consumer
