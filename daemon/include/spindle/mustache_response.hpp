// mustache_response.hpp: streams a template render into a Response.
//
// The render goes through a ChunkedSink: every `chunk_size` bytes the chunk
// is written to the response and flushed to nginx, then the fiber yields, so
// the client starts receiving the page before it is fully rendered and other
// requests on the worker keep running. render_to does not finish() the
// response (the handler may add more; the server finishes it on return).
//
// Errors: a TemplateError (or any exception) propagates to the handler. If it
// escapes the handler before the first chunk went out, the server replies
// 500; after the head went out, the server aborts this response only (an
// abort frame: nginx drops the connection to the client, the worker goes on).
//
// Thread/fiber contract: call from the request's handler fiber; may suspend
// (yields between chunks, socket writes); throws ClientGone if the client
// went away.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <spindle/mustache.hpp>
#include <spindle/mustache_cache.hpp>
#include <spindle/mustache_sink.hpp>
#include <spindle/response.hpp>

namespace spindle {

struct StreamOptions {
  size_t chunk_size = ChunkedSink::kDefaultChunkSize;
  // Set as the Content-Type header unless the head already went out or this
  // is empty (then the handler's own header stands).
  std::string content_type = "text/html; charset=utf-8";
  RenderOptions render;
};

void render_to(Response& response, const Template& tmpl, const nlohmann::json& data,
               const PartialSource* partials = nullptr, const StreamOptions& options = {});

// Renders template `name` from a snapshot of `cache`.
void render_to(Response& response, const TemplateCache& cache, std::string_view name,
               const nlohmann::json& data, const StreamOptions& options = {});

}  // namespace spindle
