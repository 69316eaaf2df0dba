#include "support/signet_processes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/json.h"

namespace signet::testing {

std::unique_ptr<RunningProcess> StartListening(std::vector<std::string> argv,
                                               const std::string& log_path) {
  auto running = std::make_unique<RunningProcess>();
  argv.push_back("--ready-file");
  argv.push_back(running->ready.path());
  running->process = std::make_unique<Subprocess>(std::move(argv), log_path);
  // Generous: under the sanitizers a start takes seconds.
  auto port = running->ready.ReadLine(std::chrono::milliseconds(30000));
  if (port) {
    running->base_url = "http://127.0.0.1:" + *port;
  }
  return running;
}

std::unique_ptr<RunningProcess> StartDevIdp(const std::string& signet_path,
                                            const std::string& log_path) {
  return StartListening({signet_path, "dev", "idp", "--listen", "127.0.0.1:0"}, log_path);
}

std::unique_ptr<RunningProcess> StartSignetd(const std::string& signetd_path,
                                             const std::string& config_path,
                                             const std::string& log_path,
                                             const std::string& listen) {
  return StartListening({signetd_path, "--config", config_path, "--listen", listen}, log_path);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

HttpAnswer Curl(const std::string& args) {
  TempDir dir;
  std::string headers_path = dir.path() + "/headers";
  std::string out = RunCommand("curl -sS --max-time 20 -D " + headers_path +
                               " -o - -w '\\n%{http_code}' " + args);
  HttpAnswer answer;
  size_t newline = out.rfind('\n');
  if (newline == std::string::npos) {
    return answer;
  }
  answer.status = std::atoi(out.c_str() + newline + 1);
  answer.body = out.substr(0, newline);
  std::ifstream in(headers_path);
  for (std::string line; std::getline(in, line);) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string name = line.substr(0, colon);
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) {
      value.pop_back();
    }
    answer.headers[name] = value;
  }
  return answer;
}

std::string MintToken(const std::string& idp_url, const std::string& fields) {
  HttpAnswer answer = Curl("-d '" + fields + "' " + idp_url + "/mint");
  auto body = ParseJsonObject(answer.body);
  if (answer.status != 200 || !body.ok() || !body->contains("token")) {
    return "";
  }
  return std::string(body->at("token").as_string());
}

HttpAnswer ExchangeToken(const std::string& signetd_url, const std::string& subject_token,
                         const std::string& args) {
  // From a file, so that a hostile token's bytes reach the server unchanged by the shell.
  TempDir dir;
  std::string token_path = dir.path() + "/subject_token";
  std::ofstream(token_path, std::ios::binary) << subject_token;
  return Curl(
      "--data-urlencode grant_type=urn:ietf:params:oauth:grant-type:token-exchange "
      "--data-urlencode subject_token_type=urn:ietf:params:oauth:token-type:jwt "
      "--data-urlencode subject_token@" +
      token_path + " " + args + " " + signetd_url + "/oauth2/token");
}

HttpAnswer RequestCredential(const std::string& signetd_url, const std::string& json_body) {
  TempDir dir;
  std::string body_path = dir.path() + "/body.json";
  std::ofstream(body_path, std::ios::binary) << json_body;
  return Curl("-H 'Content-Type: application/json' --data-binary @" + body_path + " " +
              signetd_url + "/v1/credentials");
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace signet::testing
