#include "common/mime/mime_parser.hpp"

#include <optional>

#include "common/mime/content_fields.hpp"
#include "common/smtp/address.hpp"

namespace mailpipe::mime {
namespace {

struct Context {
  const MimeLimits& limits;
  std::vector<std::string>& problems;
  std::size_t parts = 0;
};

struct Delimiter {
  std::size_t line_start;  // where "--boundary" begins
  std::size_t next_line;   // just past its line end
  bool closing;            // "--boundary--"
};

// The next delimiter line at or after `from` (RFC 2046 5.1.1): at the start
// of a line, "--" boundary, optional "--", then only white space.
std::optional<Delimiter> find_delimiter(std::string_view body, std::string_view dash_boundary, std::size_t from) {
  std::size_t pos = from;
  while ((pos = body.find(dash_boundary, pos)) != std::string_view::npos) {
    const bool line_start = pos == 0 || body[pos - 1] == '\n';
    std::size_t end = pos + dash_boundary.size();
    bool closing = false;
    if (body.substr(end, 2) == "--") {
      closing = true;
      end += 2;
    }
    std::size_t rest = end;
    while (rest < body.size() && (body[rest] == ' ' || body[rest] == '\t' || body[rest] == '\r')) ++rest;
    if (line_start && (rest == body.size() || body[rest] == '\n')) {
      return Delimiter{pos, rest == body.size() ? rest : rest + 1, closing};
    }
    pos += 1;
  }
  return std::nullopt;
}

// The content before a delimiter line, without the line break that
// belongs to the delimiter.
std::string_view before_delimiter(std::string_view body, std::size_t start, std::size_t line_start) {
  std::size_t end = line_start;
  if (end > start && body[end - 1] == '\n') --end;
  if (end > start && body[end - 1] == '\r') --end;
  return body.substr(start, end - start);
}

MimePart parse_entity(std::string_view entity, std::size_t depth, std::string_view default_type, Context& context);

void split_multipart(MimePart& part, std::string_view body, const std::string& boundary, std::size_t depth,
                     Context& context) {
  const std::string dash_boundary = "--" + boundary;
  // RFC 2046 5.1.5: in multipart/digest a part is a message by default.
  const std::string_view child_default = part.media_type == "multipart/digest" ? "message/rfc822" : "text/plain";
  std::optional<Delimiter> delimiter = find_delimiter(body, dash_boundary, 0);
  if (!delimiter) {
    context.problems.push_back("multipart without any \"--" + boundary + "\" line: shown as one part");
    part.media_type = "text/plain";
    part.body = body;
    return;
  }
  while (delimiter && !delimiter->closing) {
    const std::size_t start = delimiter->next_line;
    std::optional<Delimiter> next = find_delimiter(body, dash_boundary, start);
    const std::string_view content =
        next ? before_delimiter(body, start, next->line_start) : body.substr(start);
    if (context.parts >= context.limits.max_parts) {
      context.problems.push_back("more than " + std::to_string(context.limits.max_parts) + " parts: the rest is not shown");
      return;
    }
    part.children.push_back(parse_entity(content, depth + 1, child_default, context));
    if (!next) {
      context.problems.push_back("multipart ends without its closing \"--" + boundary + "--\" line");
      return;
    }
    delimiter = next;
  }
}

MimePart parse_entity(std::string_view entity, std::size_t depth, std::string_view default_type, Context& context) {
  ++context.parts;
  MimePart part;
  const HeaderSection section = split_header_section(entity, context.limits.max_fields);
  if (section.too_many_fields) {
    context.problems.push_back("more than " + std::to_string(context.limits.max_fields) + " header fields in a part");
  }
  part.fields = section.fields;
  part.media_type = std::string(default_type);
  std::string boundary;
  if (auto type = field_value(part.fields, "Content-Type")) {
    ContentField content_type = parse_content_field(*type);
    // RFC 2045 5.2: a type we cannot read is text/plain; charset=us-ascii.
    if (content_type.value.find('/') != std::string::npos) {
      part.media_type = content_type.value;
      if (auto it = content_type.params.find("charset"); it != content_type.params.end()) part.charset = it->second;
      if (auto it = content_type.params.find("name"); it != content_type.params.end()) part.filename = it->second;
      if (auto it = content_type.params.find("boundary"); it != content_type.params.end()) boundary = it->second;
    } else {
      part.media_type = "text/plain";
    }
  }
  if (auto encoding = field_value(part.fields, "Content-Transfer-Encoding")) {
    part.transfer_encoding = smtp::lowercase_ascii(parse_content_field(*encoding).value);
  }
  if (auto disposition = field_value(part.fields, "Content-Disposition")) {
    ContentField content_disposition = parse_content_field(*disposition);
    part.disposition = content_disposition.value;
    if (auto it = content_disposition.params.find("filename"); it != content_disposition.params.end()) {
      part.filename = it->second;
    }
  }
  if (!part.is_multipart()) {
    part.body = section.body;
    return part;
  }
  if (boundary.empty() || boundary.size() > context.limits.max_boundary) {
    context.problems.push_back(boundary.empty() ? "multipart without a boundary: shown as one part"
                                                : "multipart boundary longer than " +
                                                      std::to_string(context.limits.max_boundary) + " characters");
    part.media_type = "application/octet-stream";
    part.body = section.body;
    return part;
  }
  if (depth >= context.limits.max_depth) {
    context.problems.push_back("multiparts nested deeper than " + std::to_string(context.limits.max_depth) +
                               ": the inner ones are shown as one part");
    part.media_type = "application/octet-stream";
    part.body = section.body;
    return part;
  }
  split_multipart(part, section.body, boundary, depth, context);
  return part;
}

}  // namespace

ParsedMessage parse_mime(std::string_view message, const MimeLimits& limits) {
  ParsedMessage parsed;
  Context context{limits, parsed.problems};
  parsed.root = parse_entity(message, 0, "text/plain", context);
  return parsed;
}

}  // namespace mailpipe::mime
