package main

import (
	"context"
	"sync"
	"time"
)

// tokenBucket is a qps/burst limiter (like client-go's flowcontrol.NewTokenBucketRateLimiter
// and the bucket inside workqueue.DefaultControllerRateLimiter); safe for concurrent use.
type tokenBucket struct {
	mu     sync.Mutex
	qps    float64
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(qps float64, burst int) *tokenBucket {
	if burst < 1 {
		burst = 1
	}
	return &tokenBucket{qps: qps, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// reserve takes one token and returns how long the caller must wait before using it.
func (b *tokenBucket) reserve() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.qps <= 0 {
		return 0
	}
	now := time.Now()
	b.tokens += now.Sub(b.last).Seconds() * b.qps
	if b.tokens > b.burst {
		b.tokens = b.burst
	}
	b.last = now
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.qps * float64(time.Second))
}

// Wait blocks until a token is available or ctx ends.
func (b *tokenBucket) Wait(ctx context.Context) error {
	d := b.reserve()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
