/*
 * bench/lib/tls_session_shim.c - loaded into wrk with LD_PRELOAD by bench/run.sh, so that one client measures full,
 * resumed and mixed TLS handshakes alike.
 *
 * wrk reuses each connection's SSL object across reconnects (SSL_shutdown + SSL_clear keep the session), so against a
 * server that resumes, every reconnect after a connection's first one is a resumed handshake. This wraps SSL_connect:
 * before a handshake starts it drops the kept session for TLS_FULL_SHARE of the handshakes (0: none, as plain wrk;
 * 1: all, so each one is a full handshake; 0.5: every other one, per wrk thread), and it counts the handshakes that
 * completed and those the server resumed. At exit it prints one line to stderr, which bench/lib/report.py reads:
 *
 *   tls-handshakes: completed N resumed R sessions-dropped D
 *
 * Built by run.sh with `cc -shared -fPIC -O2`; it declares the few OpenSSL calls it makes itself, so no headers are
 * needed, and resolves them in the libssl that wrk already loads.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;
int SSL_set_session(SSL *ssl, SSL_SESSION *session);
int SSL_session_reused(const SSL *ssl);
int SSL_in_before(const SSL *ssl);

static int (*real_connect)(SSL *);
static double full_share;
static atomic_ulong completed, resumed, dropped;
static _Thread_local double credit; /* per thread, so the share holds without a lock */

__attribute__((constructor)) static void shim_init(void) {
    const char *share = getenv("TLS_FULL_SHARE");
    full_share = share ? atof(share) : 0.0;
    if (full_share < 0.0) full_share = 0.0;
    if (full_share > 1.0) full_share = 1.0;
    real_connect = (int (*)(SSL *))dlsym(RTLD_NEXT, "SSL_connect");
    if (!real_connect) {
        fprintf(stderr, "tls_session_shim: SSL_connect not found\n");
        abort();
    }
}

__attribute__((destructor)) static void shim_report(void) {
    fprintf(stderr, "tls-handshakes: completed %lu resumed %lu sessions-dropped %lu\n", atomic_load(&completed),
            atomic_load(&resumed), atomic_load(&dropped));
}

int SSL_connect(SSL *ssl) {
    /* A non-blocking handshake calls SSL_connect until it completes; only its first call is "before". */
    if (SSL_in_before(ssl)) {
        credit += full_share;
        if (credit >= 1.0 - 1e-9) {
            credit -= 1.0;
            SSL_set_session(ssl, NULL);
            atomic_fetch_add(&dropped, 1);
        }
    }
    int r = real_connect(ssl);
    if (r == 1) {
        atomic_fetch_add(&completed, 1);
        if (SSL_session_reused(ssl)) atomic_fetch_add(&resumed, 1);
    }
    return r;
}
