/*
 * getsockopt(SO_ORIGINAL_DST) and getsockopt(IP6T_SO_ORIGINAL_DST) for Node: the address a client dialled
 * before an nftables/iptables REDIRECT (or DNAT) rewrote it, read from the connection-tracking entry of an
 * accepted TCP socket. Node core cannot read it (the option fills a struct sockaddr, not an integer).
 * It is called with a file descriptor only; finding the fd of a net.Socket is proxy/original-dst.ts's job.
 *
 *   originalDst(fd: number, ipv6: boolean) -> { address: string, port: number }
 *
 * Throws an Error whose `code` is the errno name (ENOENT: no conntrack entry, i.e. the connection was not
 * redirected; ENOPROTOOPT: the netfilter module is not loaded; ENOSYS: not Linux).
 */
#include <node_api.h>
#include <errno.h>
#include <string.h>

#ifdef __linux__
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80 /* linux/netfilter_ipv4.h */
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80 /* linux/netfilter_ipv6/ip6_tables.h */
#endif
#endif

static const char *errno_name(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOTCONN: return "ENOTCONN";
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
    default: return "EUNKNOWN";
  }
}

static napi_value throw_errno(napi_env env, int e) {
  napi_throw_error(env, errno_name(e), strerror(e));
  return NULL;
}

static napi_value original_dst(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1;
  bool ipv6 = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_bool(env, argv[1], &ipv6) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "originalDst(fd: number, ipv6: boolean)");
    return NULL;
  }
#ifdef __linux__
  struct sockaddr_storage sa;
  socklen_t len = sizeof(sa);
  memset(&sa, 0, sizeof(sa));
  int level = ipv6 ? SOL_IPV6 : SOL_IP;
  int option = ipv6 ? IP6T_SO_ORIGINAL_DST : SO_ORIGINAL_DST;
  if (getsockopt(fd, level, option, &sa, &len) != 0) return throw_errno(env, errno);
  char text[INET6_ADDRSTRLEN];
  int port;
  if (sa.ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&sa;
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    port = ntohs(in6->sin6_port);
  } else {
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)&sa;
    inet_ntop(AF_INET, &in4->sin_addr, text, sizeof(text));
    port = ntohs(in4->sin_port);
  }
  napi_value result, address, port_value;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address);
  napi_create_int32(env, port, &port_value);
  napi_set_named_property(env, result, "address", address);
  napi_set_named_property(env, result, "port", port_value);
  return result;
#else
  (void)fd;
  (void)ipv6;
  return throw_errno(env, ENOSYS);
#endif
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "originalDst", NAPI_AUTO_LENGTH, original_dst, NULL, &fn);
  napi_set_named_property(env, exports, "originalDst", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
