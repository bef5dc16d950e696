//! The integration tests: one test binary; modules grouped in folders by the part of the service
//! they check, plus a few top-level ones. Each module's own `//!` says what it covers.

// The service end to end on its embedded store: pages, JSON API, errors, modes, start-up.
mod core;
// The embedded store keeps 10,000 contacts across a restart and acknowledged writes across a kill.
mod durability;
// A full disk under the embedded store: 507, then recovery once space is freed.
mod disk;
// Riak nodes and memcached killed and restarted under a sustained load.
mod faults;
// The deployment files: valid for their tools, and a two-instance set-up behind HAProxy.
mod deploy;
// The documentation's links and anchors point at files and headings that exist.
mod docs;
// The layering rule, read off the sources: no import cycle between modules.
mod layout;

mod http {
    // Headless Chromium drives the pages a user meets.
    mod browser;
    // Real HTTP clients (curl, ureq) against the front.
    mod clients;
    // A contact for API clients (the exercise's JSON) and for browsers, and the delete form.
    mod contact;
    // RFC 9110 and 9112, one test per rule, on raw sockets.
    mod conformance;
    // Host check, cross-origin writes, the htpasswd login, and start-up refusals.
    mod guard;
    // A generated corpus of malformed and oversized requests.
    mod hostile;
    // Clients that do not read, queue bounds, shedding and the open-file limit.
    mod isolation;
    // The name rules: one contact per spelling, and the names refused, each by its character.
    mod names;
}

mod cache {
    // Cache-aside on a real memcached, one script over TCP and over a Unix socket.
    mod aside;
    // Deletes through every store with memcached in front: 204, then 404 from everywhere.
    mod delete;
    // Concurrent misses for one name make one store read.
    mod stampede;
    // How the service reaches memcached: URL errors and a deadline per operation.
    mod wire;
}

mod riak {
    // Node readiness and Riak's error answers, class by class.
    mod answers;
    // The Protocol Buffers codec against frames captured from a real Riak.
    mod codec;
    // One deadline per Riak request, whatever a node trickles.
    mod deadline;
    // Deletes on a ring: one made while a node is down stays deleted when it comes back.
    mod deletes;
    // A 2-node ring with replicas: which contacts a stopped node makes read as missing.
    mod cluster;
    // A node stopped, hung or restarted stale under load: the quorum policy against the previous.
    mod failover;
    // Nodes killed, all down and back, under the service.
    mod faults;
    // The HTTP client against exchanges captured from a real Riak.
    mod http;
    // The failover scenarios on a real cluster named by PHONEBOOK_RIAK_TEST (else says so).
    mod real_cluster;
    // One node of two restarted under load, over PBC and HTTP.
    mod restart;
    // The service on stand-in nodes through each API.
    mod service;
    // The stand-in answers the captured requests as Riak did.
    mod standin;
    // The stand-in's behaviours of a real cluster.
    mod standin_real;
    // 10,000 contacts moved from the embedded file to Riak with export and import.
    mod transfer;
    // Writes and reads: one request per blind write, siblings resolved.
    mod writes;
}

// Helpers: the service, HTTP, Riak, memcached, HAProxy and WebDriver.
mod support;
