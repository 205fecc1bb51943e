// response_sink.cpp: render_to(Response&, ...) (mustache_response.hpp).
//
// Thread/fiber contract: the handler fiber; suspends in Response::write /
// flush and in ChunkedSink's yield between chunks.
#include <spindle/mustache_response.hpp>

namespace spindle {

void render_to(Response& response, const Template& tmpl, const nlohmann::json& data,
               const PartialSource* partials, const StreamOptions& options) {
  if (!options.content_type.empty() && !response.head_sent()) {
    response.set_header("Content-Type", options.content_type);
  }
  ChunkedSink sink(
      [&response](std::string_view chunk) {
        response.write(chunk);
        response.flush();
      },
      options.chunk_size);
  tmpl.render(data, sink, partials, options.render);
  sink.flush();
}

void render_to(Response& response, const TemplateCache& cache, std::string_view name,
               const nlohmann::json& data, const StreamOptions& options) {
  std::shared_ptr<const TemplateSet> set = cache.snapshot();
  render_to(response, set->get(name), data, set.get(), options);
}

}  // namespace spindle
