// Hub protocol helpers: URL building, ETag normalisation, error mapping, backoff.
#include "hub/protocol.h"

#include <gtest/gtest.h>

namespace haloguard::hub {
namespace {

HttpResponse Resp(long status, const std::string& code = "") {
  HttpResponse r;
  r.status = status;
  if (!code.empty()) r.headers["x-error-code"] = code;
  return r;
}

TEST(Protocol, ResolveUrlEncodesLikeHuggingfaceHub) {
  // hf_hub_url: quote(revision, safe="") and quote(filename) (which keeps '/').
  EXPECT_EQ(ResolveUrl("https://huggingface.co", "o/n", "main", "config.json"),
            "https://huggingface.co/o/n/resolve/main/config.json");
  EXPECT_EQ(ResolveUrl("http://h", "o/n", "refs/pr/1", "a b/c+d.json"),
            "http://h/o/n/resolve/refs%2Fpr%2F1/a%20b/c%2Bd.json");
  EXPECT_EQ(UrlOrigin("http://127.0.0.1:80/a/b?c"), "http://127.0.0.1:80");
  EXPECT_EQ(UrlOrigin("/relative"), "");
}

TEST(Protocol, RepoOfResolvePathNamesTheRenamedRepo) {
  EXPECT_EQ(RepoOfResolvePath("/astroware/HaloGuard1-Gen-0.8B/resolve/main/config.json"),
            "astroware/HaloGuard1-Gen-0.8B");
  EXPECT_EQ(RepoOfResolvePath("/api/resolve-cache/models/a/b/0123/config.json"), "");
  EXPECT_EQ(RepoOfResolvePath("/a/b/c/resolve/main/x"), "");  // not owner/name
  EXPECT_EQ(RepoOfResolvePath("http://h/a/b/resolve/main/x"), "");  // absolute: caller strips
  EXPECT_EQ(RepoOfResolvePath(""), "");
}

TEST(Protocol, NormalizeEtag) {
  EXPECT_EQ(NormalizeEtag("\"abc\""), "abc");
  EXPECT_EQ(NormalizeEtag("W/\"abc\""), "abc");
  EXPECT_EQ(NormalizeEtag("abc"), "abc");
}

TEST(Protocol, HubErrorsMapToStatusCodes) {
  RequestContext anon{"https://hf.co", "o/n", "main", "config.json", false};
  RequestContext auth = anon;
  auth.has_token = true;
  EXPECT_TRUE(IsEntryNotFound(HubError(Resp(404, "EntryNotFound"), anon)));
  EXPECT_TRUE(IsEntryNotFound(HubError(Resp(404), anon)));
  EXPECT_FALSE(IsEntryNotFound(HubError(Resp(404, "RevisionNotFound"), anon)));
  EXPECT_EQ(HubError(Resp(404, "RevisionNotFound"), anon).code(), StatusCode::kNotFound);
  EXPECT_EQ(HubError(Resp(404, "RepoNotFound"), auth).code(), StatusCode::kNotFound);
  Status gated = HubError(Resp(401, "GatedRepo"), anon);
  EXPECT_EQ(gated.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(gated.message().find("https://hf.co/o/n"), std::string::npos);
  EXPECT_NE(gated.message().find("HF_TOKEN"), std::string::npos);
  EXPECT_EQ(HubError(Resp(403, "GatedRepo"), auth).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(HubError(Resp(401, "RepoNotFound"), anon).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(HubError(Resp(401), auth).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(HubError(Resp(503), anon).code(), StatusCode::kUnavailable);
  EXPECT_EQ(HubError(Resp(429), anon).code(), StatusCode::kUnavailable);
  EXPECT_EQ(HubError(Resp(418), anon).code(), StatusCode::kUnknown);
}

TEST(Protocol, BackoffDoublesAndCaps) {
  EXPECT_DOUBLE_EQ(BackoffSeconds(0, 0.5), 0.5);
  EXPECT_DOUBLE_EQ(BackoffSeconds(1, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(BackoffSeconds(3, 0.5), 4.0);
  EXPECT_DOUBLE_EQ(BackoffSeconds(10, 0.5), 8.0);
}

}  // namespace
}  // namespace haloguard::hub
