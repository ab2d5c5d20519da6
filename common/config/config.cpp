#include "common/config/config.hpp"

#include <google/protobuf/io/tokenizer.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mailpipe {
namespace {

namespace pb = google::protobuf;

class CollectErrors final : public pb::io::ErrorCollector {
 public:
  explicit CollectErrors(std::string path) : path_(std::move(path)) {}
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    add("", line, column, message);
  }
  void AddWarning(int line, pb::io::ColumnNumber column, const std::string& message) override {
    add("warning: ", line, column, message);
  }
  const std::string& text() const { return text_; }

 private:
  void add(const char* kind, int line, pb::io::ColumnNumber column, const std::string& message) {
    if (!text_.empty()) text_ += '\n';
    // The tokenizer counts from 0; editors count from 1.
    text_ += path_ + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + kind + message;
  }
  std::string path_;
  std::string text_;
};

}  // namespace

ConfigFile::ConfigFile(std::string path, const pb::Message& root)
    : path_(std::move(path)),
      root_descriptor_(root.GetDescriptor()),
      tree_(std::make_unique<pb::TextFormat::ParseInfoTree>()) {}

ConfigFile ConfigFile::parse(const std::string& path, pb::Message& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read config file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();

  ConfigFile file(path, out);
  CollectErrors errors(path);
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(file.tree_.get());
  if (!parser.ParseFromString(text.str(), &out)) {
    throw ConfigError(errors.text().empty() ? path + ": cannot parse config" : errors.text());
  }
  return file;
}

std::string ConfigFile::where(std::initializer_list<std::string_view> field_path, int index) const {
  const pb::Descriptor* descriptor = root_descriptor_;
  const pb::TextFormat::ParseInfoTree* tree = tree_.get();
  const pb::FieldDescriptor* field = nullptr;
  size_t depth = 0;
  for (std::string_view name : field_path) {
    if (descriptor == nullptr || tree == nullptr) return path_;
    field = descriptor->FindFieldByName(std::string(name));
    if (field == nullptr) return path_;
    if (++depth < field_path.size()) {
      tree = tree->GetTreeForNested(field, field->is_repeated() ? 0 : -1);
      descriptor = field->message_type();
    }
  }
  if (field == nullptr || tree == nullptr) return path_;
  const auto location = tree->GetLocation(field, field->is_repeated() ? std::max(index, 0) : -1);
  if (location.line < 0) return path_;
  return path_ + ":" + std::to_string(location.line + 1) + ":" + std::to_string(location.column + 1);
}

void ConfigFile::fail(std::initializer_list<std::string_view> field_path, std::string_view message,
                      int index) const {
  std::string key;
  for (std::string_view part : field_path) key += (key.empty() ? "" : ".") + std::string(part);
  throw ConfigError(where(field_path, index) + ": " + key + ": " + std::string(message));
}

std::vector<std::string> changed_fields(const pb::Message& before, const pb::Message& after,
                                        const std::vector<std::string_view>& reloadable) {
  std::vector<std::string> changed;
  const pb::Descriptor* descriptor = before.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const pb::FieldDescriptor* field = descriptor->field(i);
    if (std::find(reloadable.begin(), reloadable.end(), field->name()) != reloadable.end()) continue;
    // Compare each field alone: copy it into two empty messages.
    std::unique_ptr<pb::Message> a(before.New());
    std::unique_ptr<pb::Message> b(after.New());
    a->CopyFrom(before);
    b->CopyFrom(after);
    for (int j = 0; j < descriptor->field_count(); ++j) {
      if (j == i) continue;
      a->GetReflection()->ClearField(a.get(), descriptor->field(j));
      b->GetReflection()->ClearField(b.get(), descriptor->field(j));
    }
    if (a->SerializeAsString() != b->SerializeAsString()) changed.push_back(field->name());
  }
  return changed;
}

void copy_field(const pb::Message& from, pb::Message& to, std::string_view name) {
  const pb::FieldDescriptor* field = to.GetDescriptor()->FindFieldByName(std::string(name));
  if (field == nullptr) throw std::logic_error("copy_field: no field " + std::string(name));
  std::unique_ptr<pb::Message> source(from.New());
  source->CopyFrom(from);
  to.GetReflection()->SwapFields(&to, source.get(), {field});
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

void ConfigFile::require(bool present, std::string_view key) const {
  if (!present) throw ConfigError(path_ + ": missing required key '" + std::string(key) + "'");
}

}  // namespace mailpipe
