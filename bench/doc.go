// Package bench measures Guichet against real Mattermost 6.7.2 and PostgreSQL, side by side
// with a baseline in the same run, and reports the figures BENCHMARKS.md records:
//
//   - BenchmarkClaimClick: a claim click through Mattermost (DoPostAction on an offer) against
//     a no-op integration's click (a button posted by the same bot, served by an HTTP server
//     answering {}), 16 people clicking at once, p50 and p99 and their ratios;
//   - BenchmarkPublish: publishing the Assises 2011 lots (14 lots, 19 structures) and a larger
//     event against raw CreatePost of the same posts with the same token, one after the other,
//     throughput ratio, with the bot posting one offer at a time and two at once;
//   - BenchmarkPublishRateLimited: the same publication with Mattermost's rate limiting on,
//     every post delivered;
//   - BenchmarkLotEdit: a lot edit after publication reaching every copy of its offer (one
//     lot offered to GUICHET_BENCH_STRUCTURES structures) against raw UpdatePost of the same
//     posts with the same token, one after the other, throughput ratio;
//   - BenchmarkDroppedSheet: a 5,000-row lots file dropped in a coordination channel, from the
//     upload to the bot's preview in its thread, against `guichet import lots` on the same
//     file, median of GUICHET_BENCH_RUNS runs, speed ratio;
//   - BenchmarkServe: start-up time of `guichet serve` to /readyz on a migrated database, and
//     its resident memory while serving.
//
// The claim transaction against pgbench is in package db (BenchmarkClaimVsPgbench), the
// scheduler tick at scale in package scheduler (BenchmarkTickAtScale).
//
// The package has no tests: `go test ./...` builds it and starts nothing. A benchmark starts
// one rig (mmrig.Start, with the bot run by the benchmark itself) for the whole run, on
// loopback. Each benchmark is one experiment, whatever b.N; run them with -benchtime=1x:
//
//	go test ./bench -run '^$' -bench . -benchtime 1x -timeout 60m
//
// Sizes come from the environment (defaults in brackets): GUICHET_BENCH_ROUNDS, the rounds of
// 16 clicks per side [30]; GUICHET_BENCH_LOTS and GUICHET_BENCH_STRUCTURES, the larger
// publication [200 lots, 100 structures] (GUICHET_BENCH_STRUCTURES is also the copies of the
// edited lot's offer); GUICHET_BENCH_CATEGORIES, the categories its lots
// spread over [20]; GUICHET_BENCH_RUNS, the runs of each side of a publication or a lot edit [3];
// GUICHET_BENCH_INFLIGHT, the bot's outbox_in_flight settings to publish with [1,2];
// GUICHET_BENCH_CLICKERS, the people clicking at once [16].
package bench
