#pragma once
// Loads a process config file: Protobuf text format against the schema in
// proto/config.proto. A typo'd key or a bad value stops start-up with
// "file:line:column: what is wrong", the way chasquid does it.
#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>

#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mailpipe {

class ConfigError final : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A parsed file plus where each field was, so checks after parsing can
// still point at a line and column.
class ConfigFile final {
 public:
  // Throws ConfigError on unreadable file or syntax/unknown-key errors.
  static ConfigFile parse(const std::string& path, google::protobuf::Message& out);

  // "path:line:col" of a (nested) field, e.g. where({"limits", "max_recipients"});
  // "path" alone when the field is not in the file.
  std::string where(std::initializer_list<std::string_view> field_path, int index = -1) const;

  [[noreturn]] void fail(std::initializer_list<std::string_view> field_path, std::string_view message,
                         int index = -1) const;
  // For a key that must be present.
  void require(bool present, std::string_view key) const;

  const std::string& path() const { return path_; }

 private:
  ConfigFile(std::string path, const google::protobuf::Message& root);
  std::string path_;
  const google::protobuf::Descriptor* root_descriptor_;
  std::unique_ptr<google::protobuf::TextFormat::ParseInfoTree> tree_;
};

// Top-level fields whose values differ between two configs of the same
// schema, except those named in `reloadable`: what a reload (SIGHUP) cannot
// apply and a restart would.
std::vector<std::string> changed_fields(const google::protobuf::Message& before,
                                        const google::protobuf::Message& after,
                                        const std::vector<std::string_view>& reloadable);

// Sets the top-level field `name` of `to` to its value in `from` (both of
// the same schema): how a reload applies the knobs it can.
void copy_field(const google::protobuf::Message& from, google::protobuf::Message& to, std::string_view name);

std::string join(const std::vector<std::string>& parts, std::string_view separator);

}  // namespace mailpipe
