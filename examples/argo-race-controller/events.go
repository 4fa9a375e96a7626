package main

// Events, as client-go's event recorder does them for Argo (workflow/events,
// record.EventRecorder): POST a v1 Event the first time an object gets a
// reason, then PATCH its count and lastTimestamp on each repeat. Events are
// sent by one goroutine from a bounded channel (dropped when it is full), like
// client-go's broadcaster.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log"
	"sync/atomic"
)

type objectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	UID        string `json:"uid"`
}

func workflowRef(wf *Workflow) objectRef {
	return objectRef{"argoproj.io/v1alpha1", "Workflow", wf.Metadata.Namespace, wf.Metadata.Name, wf.Metadata.UID}
}

func podRef(p *Pod) objectRef {
	return objectRef{"v1", "Pod", p.Metadata.Namespace, p.Metadata.Name, p.Metadata.UID}
}

type eventRequest struct {
	ref                     objectRef
	eventType, reason, text string
}

type eventRecord struct {
	name  string
	count int
}

type eventRecorder struct {
	client    *Client
	namespace string
	ch        chan eventRequest
	dropped   atomic.Int64
	seen      map[string]*eventRecord // only touched by run's goroutine
}

func newEventRecorder(c *Client, namespace string) *eventRecorder {
	return &eventRecorder{client: c, namespace: namespace, ch: make(chan eventRequest, 1000), seen: map[string]*eventRecord{}}
}

// Event queues an event about ref; it never blocks.
func (r *eventRecorder) Event(ref objectRef, eventType, reason, message string) {
	select {
	case r.ch <- eventRequest{ref, eventType, reason, message}:
	default:
		r.dropped.Add(1)
	}
}

// run sends queued events until ctx ends.
func (r *eventRecorder) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-r.ch:
			if err := r.send(ctx, ev); err != nil && ctx.Err() == nil {
				log.Printf("level=warning msg=\"event not recorded\" reason=%s object=%s error=%q", ev.reason, ev.ref.Name, err)
			}
		}
	}
}

func (r *eventRecorder) send(ctx context.Context, ev eventRequest) error {
	key := ev.ref.UID + "/" + ev.reason
	ts := now()
	base := fmt.Sprintf("/api/v1/namespaces/%s/events", r.namespace)
	if rec, ok := r.seen[key]; ok {
		rec.count++
		patch := map[string]interface{}{"count": rec.count, "lastTimestamp": ts, "message": ev.text}
		err := r.client.Do(ctx, "PATCH", base+"/"+rec.name, nil, patch, "application/merge-patch+json", nil)
		if !isNotFound(err) {
			return err
		}
		delete(r.seen, key) // gone (expired): create it again
	}
	var suffix [8]byte
	_, _ = rand.Read(suffix[:])
	name := fmt.Sprintf("%s.%s", ev.ref.Name, hex.EncodeToString(suffix[:]))
	event := map[string]interface{}{
		"apiVersion":         "v1",
		"kind":               "Event",
		"metadata":           map[string]interface{}{"name": name, "namespace": r.namespace},
		"involvedObject":     ev.ref,
		"reason":             ev.reason,
		"message":            ev.text,
		"type":               ev.eventType,
		"count":              1,
		"firstTimestamp":     ts,
		"lastTimestamp":      ts,
		"source":             map[string]string{"component": "workflow-controller"},
		"reportingComponent": "workflow-controller",
	}
	if err := r.client.Do(ctx, "POST", base, nil, event, "", nil); err != nil {
		return err
	}
	if len(r.seen) > 10000 { // bound memory: forget everything (client-go uses an LRU)
		r.seen = map[string]*eventRecord{}
	}
	r.seen[key] = &eventRecord{name: name, count: 1}
	return nil
}
