package main

// A small list+watch informer (client-go's Reflector + Store, much reduced):
// list, then watch from the list's resourceVersion with bookmarks; relist on a
// 410 Gone or when the watch stream ends. The cache is guarded by a mutex and
// hands out deep copies, so callers may modify what they get.

import (
	"context"
	"encoding/json"
	"log"
	"math/rand"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type informer[T any] struct {
	name     string
	client   *Client
	path     string // collection path, e.g. /api/v1/namespaces/default/pods
	selector string // label selector, may be empty
	meta     func(*T) *ObjectMeta
	onEvent  func(eventType string, obj *T) // called on the informer's goroutine with a copy

	mu     sync.RWMutex
	items  map[string]*T // by name
	synced atomic.Bool
}

func newInformer[T any](name string, c *Client, path, selector string, meta func(*T) *ObjectMeta, onEvent func(string, *T)) *informer[T] {
	return &informer[T]{name: name, client: c, path: path, selector: selector, meta: meta, onEvent: onEvent, items: map[string]*T{}}
}

// HasSynced tells whether the first list has been stored.
func (i *informer[T]) HasSynced() bool { return i.synced.Load() }

// Get returns a copy of the cached object `name`.
func (i *informer[T]) Get(name string) (*T, bool) {
	i.mu.RLock()
	obj, ok := i.items[name]
	i.mu.RUnlock()
	if !ok {
		return nil, false
	}
	return deepCopy(obj), true
}

// List returns copies of every cached object.
func (i *informer[T]) List() []*T {
	i.mu.RLock()
	defer i.mu.RUnlock()
	out := make([]*T, 0, len(i.items))
	for _, obj := range i.items {
		out = append(out, deepCopy(obj))
	}
	return out
}

// Filter returns copies of the cached objects for which keep is true (keep sees the cached object: it must not modify it).
func (i *informer[T]) Filter(keep func(*T) bool) []*T {
	i.mu.RLock()
	defer i.mu.RUnlock()
	var out []*T
	for _, obj := range i.items {
		if keep(obj) {
			out = append(out, deepCopy(obj))
		}
	}
	return out
}

// Run lists and watches until ctx ends.
func (i *informer[T]) Run(ctx context.Context) {
	rv := ""
	for ctx.Err() == nil {
		if rv == "" {
			var err error
			if rv, err = i.list(ctx); err != nil {
				log.Printf("level=warning msg=\"informer %s: list failed\" error=%q", i.name, err)
				sleepCtx(ctx, time.Second)
				continue
			}
		}
		var err error
		rv, err = i.watch(ctx, rv)
		if err != nil && ctx.Err() == nil {
			log.Printf("level=info msg=\"informer %s: watch ended, relisting\" error=%q", i.name, err)
		}
		rv = "" // relist on 410 Gone and when the stream ends
	}
}

func (i *informer[T]) list(ctx context.Context) (string, error) {
	q := url.Values{}
	if i.selector != "" {
		q.Set("labelSelector", i.selector)
	}
	var list struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
		Items []*T `json:"items"`
	}
	if err := i.client.Do(ctx, "GET", i.path, q, nil, "", &list); err != nil {
		return "", err
	}
	fresh := make(map[string]*T, len(list.Items))
	for _, obj := range list.Items {
		fresh[i.meta(obj).Name] = obj
	}
	i.mu.Lock()
	old := i.items
	i.items = fresh
	i.mu.Unlock()
	i.synced.Store(true)
	for name, obj := range old {
		if _, ok := fresh[name]; !ok {
			i.onEvent("DELETED", deepCopy(obj))
		}
	}
	for _, obj := range list.Items {
		i.onEvent("ADDED", deepCopy(obj))
	}
	return list.Metadata.ResourceVersion, nil
}

// watch follows one watch stream and returns the last resourceVersion seen.
func (i *informer[T]) watch(ctx context.Context, rv string) (string, error) {
	q := url.Values{}
	q.Set("watch", "1")
	q.Set("resourceVersion", rv)
	q.Set("allowWatchBookmarks", "true")
	q.Set("timeoutSeconds", strconv.Itoa(60+rand.Intn(60)))
	if i.selector != "" {
		q.Set("labelSelector", i.selector)
	}
	body, err := i.client.Watch(ctx, i.path, q)
	if err != nil {
		return rv, err
	}
	defer body.Close() // ctx ending also ends the stream (the request carries it)
	dec := json.NewDecoder(body)
	for {
		var ev struct {
			Type   string          `json:"type"`
			Object json.RawMessage `json:"object"`
		}
		if err := dec.Decode(&ev); err != nil {
			return rv, err
		}
		if ev.Type == "ERROR" {
			var st struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			_ = json.Unmarshal(ev.Object, &st)
			return rv, &apiError{Code: st.Code, Reason: "WatchError", Message: st.Message}
		}
		obj := new(T)
		if err := json.Unmarshal(ev.Object, obj); err != nil {
			return rv, err
		}
		m := i.meta(obj)
		rv = m.ResourceVersion
		switch ev.Type {
		case "BOOKMARK":
			continue
		case "ADDED", "MODIFIED":
			i.mu.Lock()
			i.items[m.Name] = obj
			i.mu.Unlock()
		case "DELETED":
			i.mu.Lock()
			delete(i.items, m.Name)
			i.mu.Unlock()
		}
		i.onEvent(ev.Type, deepCopy(obj))
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
