#include "mua/read/attachment_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/text/utf8_strings.hpp"
#include "mua/cli/exit_status.hpp"

namespace mailpipe::mua {
namespace {

// More numbered names than this in one directory: give up, say so.
constexpr int max_suffix = 1000;

bool unwanted(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||  // C0, DEL, C1
         cp == 0xFFFD ||                                           // what invalid UTF-8 became
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);  // bidi overrides: "fdp.exe" shown as "exe.pdf"
}

// "report.pdf" -> "report", ".pdf"; the extension is kept when cutting.
std::pair<std::string, std::string> split_extension(const std::string& name) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0 || name.size() - dot > 16) return {name, ""};
  return {name.substr(0, dot), name.substr(dot)};
}

std::string numbered(const std::string& name, int n) {
  if (n == 0) return name;
  auto [stem, extension] = split_extension(name);
  const std::string suffix = "-" + std::to_string(n);
  stem.resize(utf8_prefix_length(stem, max_filename_bytes - suffix.size() - extension.size()));
  return stem + suffix + extension;
}

}  // namespace

std::string sanitize_filename(std::string_view suggested, std::string_view fallback) {
  const std::size_t separator = suggested.find_last_of("/\\");
  if (separator != std::string_view::npos) suggested.remove_prefix(separator + 1);
  std::string clean;
  for (std::size_t pos = 0; pos < suggested.size();) {
    const Utf8Char c = utf8_char_at(suggested, pos);
    if (c.valid && !unwanted(c.code_point)) clean.append(suggested.substr(pos, c.length));
    pos += c.length;
  }
  std::size_t start = 0;
  while (start < clean.size() && (clean[start] == '.' || clean[start] == ' ')) ++start;
  clean.erase(0, start);
  while (!clean.empty() && clean.back() == ' ') clean.pop_back();
  if (clean.size() > max_filename_bytes) {
    auto [stem, extension] = split_extension(clean);
    stem.resize(utf8_prefix_length(stem, max_filename_bytes - extension.size()));
    clean = stem + extension;
  }
  return clean.empty() ? std::string(fallback) : clean;
}

std::string save_new_file(const std::string& directory, const std::string& name, std::string_view data) {
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    throw Failure(Exit::failed, "cannot create " + directory + ": " + std::strerror(errno));
  }
  for (int n = 0; n < max_suffix; ++n) {
    const std::string path = directory + "/" + numbered(name, n);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0) throw Failure(Exit::failed, "cannot create " + path + ": " + std::strerror(errno));
    std::size_t written = 0;
    while (written < data.size()) {
      const ssize_t n_written = ::write(fd, data.data() + written, data.size() - written);
      if (n_written < 0 && errno == EINTR) continue;
      if (n_written < 0) {
        const int error = errno;
        ::close(fd);
        ::unlink(path.c_str());
        throw Failure(Exit::failed, "cannot write " + path + ": " + std::strerror(error));
      }
      written += static_cast<std::size_t>(n_written);
    }
    if (::close(fd) != 0) throw Failure(Exit::failed, "cannot write " + path + ": " + std::strerror(errno));
    return path;
  }
  throw Failure(Exit::failed, "too many files named like " + name + " in " + directory);
}

}  // namespace mailpipe::mua
