// The "custom header" of a remoting command (docs/protocol.md §3): every header field as a name and
// a text, kept sorted by name in one vector.
//
// Why not std::map: a send request carries 8-14 fields and every message is one request, so a map
// allocated a tree node per field on the sending thread and freed it again, ~30 % of an async
// producer's CPU in malloc and free. Here one reserve covers a whole header, and most names and
// numbers fit std::string's inline buffer. Lookups are binary searches over a few dozen entries at
// most. The order is std::string's (byte-wise), as the map's was: the ACL signature walks the fields
// in it, and the JSON encoder writes them in it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rocketmq::protocol {

class ExtFields {
 public:
  using value_type = std::pair<std::string, std::string>;
  using iterator = std::vector<value_type>::iterator;
  using const_iterator = std::vector<value_type>::const_iterator;

  ExtFields() = default;
  // Like a map's: of repeated names the first is kept.
  ExtFields(std::initializer_list<value_type> fields) {
    entries_.reserve(fields.size());
    for (const auto& field : fields) emplace(field.first, field.second);
  }

  iterator begin() noexcept { return entries_.begin(); }
  iterator end() noexcept { return entries_.end(); }
  const_iterator begin() const noexcept { return entries_.begin(); }
  const_iterator end() const noexcept { return entries_.end(); }
  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }
  void clear() noexcept { entries_.clear(); }
  void reserve(std::size_t count) { entries_.reserve(count); }

  iterator find(std::string_view name) {
    auto it = lower_bound(name);
    return it != entries_.end() && it->first == name ? it : entries_.end();
  }
  const_iterator find(std::string_view name) const {
    auto it = const_cast<ExtFields*>(this)->lower_bound(name);
    return it != entries_.end() && it->first == name ? const_iterator(it) : entries_.end();
  }
  std::size_t count(std::string_view name) const { return find(name) == end() ? 0 : 1; }

  const std::string& at(std::string_view name) const {
    auto it = find(name);
    if (it == end()) throw std::out_of_range("no header field " + std::string(name));
    return it->second;
  }

  // The field's text, inserted empty when absent.
  std::string& operator[](std::string_view name) {
    // Headers mostly list their fields in name order: appending needs no search.
    if (entries_.empty() || entries_.back().first < name) return entries_.emplace_back(name, std::string()).second;
    auto it = lower_bound(name);
    if (it == entries_.end() || it->first != name) it = entries_.emplace(it, std::string(name), std::string());
    return it->second;
  }

  // Inserts unless the name is there (then that field is kept, as std::map::emplace does).
  std::pair<iterator, bool> emplace(std::string name, std::string text) {
    if (entries_.empty() || entries_.back().first < name) {
      entries_.emplace_back(std::move(name), std::move(text));
      return {entries_.end() - 1, true};
    }
    auto it = lower_bound(name);
    if (it != entries_.end() && it->first == name) return {it, false};
    return {entries_.emplace(it, std::move(name), std::move(text)), true};
  }

  std::size_t erase(std::string_view name) {
    auto it = find(name);
    if (it == end()) return 0;
    entries_.erase(it);
    return 1;
  }

  friend bool operator==(const ExtFields& a, const ExtFields& b) { return a.entries_ == b.entries_; }
  friend bool operator!=(const ExtFields& a, const ExtFields& b) { return !(a == b); }

 private:
  iterator lower_bound(std::string_view name) {
    return std::lower_bound(entries_.begin(), entries_.end(), name,
                            [](const value_type& entry, std::string_view key) { return entry.first < key; });
  }

  std::vector<value_type> entries_;
};

}  // namespace rocketmq::protocol
