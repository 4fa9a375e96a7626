package main

// A work queue with client-go workqueue semantics, much reduced: a key is
// queued at most once, never handed to two workers at once (a key added while
// being processed is queued again when Done), AddAfter delays, AddRateLimited
// delays by a shared token bucket (Argo's pod cleanup queue uses
// workqueue.DefaultControllerRateLimiter: 10 qps, burst 100). Safe for concurrent use.

import (
	"sync"
	"time"
)

type workQueue struct {
	name    string
	limiter *tokenBucket
	metrics *Metrics

	mu           sync.Mutex
	cond         *sync.Cond
	queue        []string
	dirty        map[string]bool
	processing   map[string]bool
	waiting      map[string]bool
	shuttingDown bool
}

func newWorkQueue(name string, limiter *tokenBucket, m *Metrics) *workQueue {
	q := &workQueue{name: name, limiter: limiter, metrics: m, dirty: map[string]bool{}, processing: map[string]bool{}, waiting: map[string]bool{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add queues key unless it is already queued.
func (q *workQueue) Add(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.shuttingDown || q.dirty[key] {
		return
	}
	q.metrics.AddInt(nameQueueAdds, 1, "queue", q.name)
	q.dirty[key] = true
	if q.processing[key] {
		return // Done queues it again
	}
	q.queue = append(q.queue, key)
	q.cond.Signal()
}

// AddAfter queues key after d, unless it is already waiting.
func (q *workQueue) AddAfter(key string, d time.Duration) {
	if d <= 0 {
		q.Add(key)
		return
	}
	q.mu.Lock()
	if q.shuttingDown || q.waiting[key] {
		q.mu.Unlock()
		return
	}
	q.waiting[key] = true
	q.mu.Unlock()
	time.AfterFunc(d, func() {
		q.mu.Lock()
		delete(q.waiting, key)
		q.mu.Unlock()
		q.Add(key)
	})
}

// AddRateLimited queues key when the queue's token bucket allows.
func (q *workQueue) AddRateLimited(key string) {
	q.AddAfter(key, q.limiter.reserve())
}

// Get blocks for the next key; ok is false once the queue is shut down.
func (q *workQueue) Get() (key string, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.queue) == 0 && !q.shuttingDown {
		q.cond.Wait()
	}
	if len(q.queue) == 0 {
		return "", false
	}
	key = q.queue[0]
	q.queue = q.queue[1:]
	q.processing[key] = true
	delete(q.dirty, key)
	return key, true
}

// Done marks key processed; if it was added meanwhile it is queued again.
func (q *workQueue) Done(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, key)
	if q.dirty[key] {
		q.queue = append(q.queue, key)
		q.cond.Signal()
	}
}

// ShutDown drops queued keys and makes every Get return false.
func (q *workQueue) ShutDown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.shuttingDown = true
	q.queue = nil
	q.cond.Broadcast()
}
