#include "mua/read/mailbox_commands.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/cli/terminal_text.hpp"
#include "common/mime/encoded_words.hpp"
#include "common/mime/header_section.hpp"
#include "common/mime/message_date.hpp"
#include "common/mime/mime_parser.hpp"
#include "mua/read/attachment_files.hpp"
#include "mua/read/maildir_box.hpp"
#include "mua/read/maildir_flags.hpp"
#include "mua/read/message_view.hpp"

namespace mailpipe::mua {
namespace {

// `list` needs only the header: a bound keeps a huge message from being read whole.
constexpr std::size_t max_list_header_bytes = 256 * 1024;
constexpr std::size_t max_header_fields = 1000;
constexpr std::size_t from_columns = 22;
constexpr std::size_t subject_columns = 40;

std::string read_file(const std::string& path, std::size_t limit, bool& truncated) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure(Exit::failed, "cannot open " + path + ": " + std::strerror(errno));
  std::string data;
  char chunk[65536];
  while (data.size() < limit && (in.read(chunk, sizeof chunk) || in.gcount() > 0)) {
    data.append(chunk, static_cast<std::size_t>(in.gcount()));
  }
  truncated = data.size() > limit || (data.size() == limit && in.peek() != std::char_traits<char>::eof());
  if (data.size() > limit) data.resize(limit);
  return data;
}

std::string decoded(const std::vector<mime::HeaderField>& fields, std::string_view name) {
  const std::optional<std::string> value = mime::field_value(fields, name);
  return value ? cli::terminal_line(mime::decode_encoded_words(*value)) : std::string();
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// "Jörg Müller" of "Jörg Müller <joerg@example.test>"; the address when
// there is no name.
std::string sender_name(std::string_view from) {
  const std::size_t open = from.rfind('<');
  if (open == std::string_view::npos) return std::string(trim(from));
  std::string_view name = trim(from.substr(0, open));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  if (!name.empty()) return std::string(name);
  const std::size_t close = from.find('>', open);
  return std::string(from.substr(open + 1, close == std::string_view::npos ? from.npos : close - open - 1));
}

std::string human_size(uint64_t bytes) {
  char text[32];
  if (bytes < 1000) {
    std::snprintf(text, sizeof text, "%u", static_cast<unsigned>(bytes));
  } else if (bytes < 10 * 1024) {
    std::snprintf(text, sizeof text, "%.1fK", static_cast<double>(bytes) / 1024);
  } else if (bytes < 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.0fK", static_cast<double>(bytes) / 1024);
  } else {
    std::snprintf(text, sizeof text, "%.1fM", static_cast<double>(bytes) / (1024 * 1024));
  }
  return text;
}

std::string list_line(std::size_t number, const MaildirEntry& entry) {
  bool truncated = false;
  const std::string head = read_file(entry.path, max_list_header_bytes, truncated);
  const mime::HeaderSection section = mime::split_header_section(head, max_header_fields);
  std::string date = cli::fit_columns("(no date)", 16, true);
  if (auto value = mime::field_value(section.fields, "Date")) {
    if (auto when = mime::parse_message_date(*value)) date = mime::short_local_date(*when);
  }
  const bool unseen = entry.in_new || !has_flag(entry.name, 'S');
  std::string subject = decoded(section.fields, "Subject");
  if (subject.empty()) subject = "(no subject)";
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "%4zu %c ", number, unseen ? 'N' : ' ');
  char size[16];
  std::snprintf(size, sizeof size, "%6s", human_size(entry.size).c_str());
  return std::string(prefix) + date + "  " +
         cli::fit_columns(sender_name(decoded(section.fields, "From")), from_columns, true) + "  " +
         cli::fit_columns(subject, subject_columns, true) + "  " + size;
}

void show_header(const std::vector<mime::HeaderField>& fields, std::ostream& out) {
  for (const char* name : {"From", "To", "Cc", "Date", "Subject"}) {
    const std::string value = decoded(fields, name);
    if (value.empty() && std::string_view(name) != "From" && std::string_view(name) != "Subject") continue;
    const std::string label = std::string(name) + ":";
    out << label << std::string(9 - label.size(), ' ') << value << "\n";
  }
}

MaildirEntry pick(const MaildirBox& box, std::size_t number) {
  const std::vector<MaildirEntry> entries = box.scan();
  if (number == 0 || number > entries.size()) {
    throw Failure(Exit::failed, "no message " + std::to_string(number) + ": the Maildir holds " +
                                    std::to_string(entries.size()) + " (see mpmail list)");
  }
  return entries[number - 1];
}

}  // namespace

Exit list_messages(const std::string& maildir, std::ostream& out) {
  const MaildirBox box(maildir);
  const std::vector<MaildirEntry> entries = box.scan();
  for (std::size_t i = 0; i < entries.size(); ++i) out << list_line(i + 1, entries[i]) << "\n";
  return Exit::ok;
}

Exit read_message(const ReadOptions& options, std::ostream& out, std::ostream& notes) {
  const MaildirBox box(options.maildir);
  const MaildirEntry entry = pick(box, options.number);
  bool truncated = false;
  const std::string message = read_file(entry.path, max_read_bytes, truncated);
  if (truncated) notes << "mpmail: the message is larger than " << max_read_bytes << " bytes: only that much is shown\n";
  const mime::ParsedMessage parsed = mime::parse_mime(message);
  for (const std::string& problem : parsed.problems) notes << "mpmail: broken message: " << problem << "\n";

  show_header(parsed.root.fields, out);
  const MessageView view = view_message(parsed.root);
  for (const std::string& text : view.texts) {
    out << "\n" << cli::terminal_text(text);
    if (!text.empty() && text.back() != '\n') out << "\n";
  }
  if (!view.attachments.empty()) out << "\n";
  for (std::size_t i = 0; i < view.attachments.size(); ++i) {
    const AttachmentView& attachment = view.attachments[i];
    const std::string shown = attachment.filename.empty() ? "(no name)" : cli::terminal_line(attachment.filename);
    out << "[attachment " << i + 1 << "] " << shown << "  " << cli::terminal_line(attachment.media_type) << "  "
        << attachment.data.size() << " bytes\n";
  }
  if (options.save_attachments) {
    for (std::size_t i = 0; i < view.attachments.size(); ++i) {
      const AttachmentView& attachment = view.attachments[i];
      const std::string name = sanitize_filename(attachment.filename, "attachment-" + std::to_string(i + 1));
      const std::string path = save_new_file(*options.save_attachments, name, attachment.data);
      out << "saved " << cli::terminal_line(path) << "\n";
    }
  }
  box.mark_seen(entry);
  return Exit::ok;
}

}  // namespace mailpipe::mua
