// lexer.hpp: splits Mustache source into text and tag tokens, applying Set
// Delimiter tags as it goes. Text tokens never span a line end: each ends at
// (and includes) its "\n", so the compiler can reason line by line about
// standalone tags. Also fills each tag's left/right "clearance" (only
// whitespace between it and the line's start/end).
//
// Thread/fiber contract: pure function over its input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spindle::mustache {

struct Token {
  bool is_tag = false;
  // Tags: 0 (variable), '{' (triple), '&', '#', '^', '/', '>', '<', '$',
  // '!' (comment), '=' (set delimiters).
  char sigil = 0;
  bool dynamic = false;    // '>', '<' and '/' names starting with '*'
  bool ws_only = false;    // text: only spaces/tabs, then maybe "\r\n"/"\n"
  bool newline = false;    // text: ends with "\n"
  bool lclear = false;     // tag: only whitespace text before it on its line
  bool rclear = false;     // tag: only whitespace text after it on its line
  uint16_t delims = 0;     // tag: delimiter pair in effect (index)
  uint32_t line = 0;       // 1-based, of the token's first byte
  uint32_t column = 0;
  uint32_t line_index = 0;  // index of the token's line (0-based)
  size_t begin = 0;        // raw byte span in the source
  size_t end = 0;
  std::string_view text;   // text: the bytes; tag: the trimmed name
};

struct LexResult {
  std::vector<Token> tokens;
  std::vector<uint32_t> line_first;  // first token index of each line
  std::vector<std::pair<std::string, std::string>> delims;
};

// Throws TemplateError (named `template_name`) on an unclosed tag, a bad Set
// Delimiter tag or an empty tag name.
LexResult Lex(std::string_view source, const std::string& template_name,
             std::string_view open, std::string_view close);

// Leading spaces and tabs of `line_text`.
std::string_view LeadingSpace(std::string_view line_text);

}  // namespace spindle::mustache
