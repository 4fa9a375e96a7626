// Command argo-race-controller is a small workflow controller that reproduces the
// Argo Workflows v3.6.0-rc1 transport race (default build) and its v3.6.0-rc2 fix
// (-tags fixed). It speaks plain HTTP/1.1 + JSON to a Kubernetes API server. See README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

func main() {
	var (
		server         = flag.String("server", "", "API server URL (default: the current context's server in $KUBECONFIG)")
		token          = flag.String("token", "", "bearer token (default: the current context's user token in $KUBECONFIG)")
		namespace      = flag.String("namespace", "default", "namespace to manage")
		metricsAddr    = flag.String("metrics-addr", "127.0.0.1:9090", "listen address for /metrics and /healthz")
		wfWorkers      = flag.Int("workflow-workers", 4, "workflow reconciler workers")
		cleanupWorkers = flag.Int("cleanup-workers", 4, "pod cleanup workers (Argo --pod-cleanup-workers)")
		cleanupQPS     = flag.Float64("cleanup-qps", 10, "pod cleanup queue rate limit, items/s")
		cleanupBurst   = flag.Int("cleanup-burst", 100, "pod cleanup queue burst")
		clientQPS      = flag.Float64("client-qps", 20, "client-side rate limit of each client, requests/s")
		clientBurst    = flag.Int("client-burst", 30, "client-side burst of each client")
		podDeleteDelay = flag.Duration("pod-delete-delay", 5*time.Second, "delay between labelling a pod completed and deleting it")
		leaseInterval  = flag.Duration("lease-interval", 5*time.Second, "lease renewal period")
		verbose        = flag.Bool("v", false, "log every API request (the logging wrapper's debug line)")
		execProto      = flag.String("exec-protocol", "spdy", "pod exec transport: spdy (SPDY/3.1, as client-go's NewSPDYExecutor) or websocket")
	)
	flag.Parse()
	if *execProto != "spdy" && *execProto != "websocket" {
		log.Fatalf("--exec-protocol %q: want spdy or websocket", *execProto)
	}
	execProtocol = *execProto
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	debugLog = *verbose

	host, bearer := *server, *token
	if host == "" {
		path := os.Getenv("KUBECONFIG")
		if path == "" {
			log.Fatal("no --server and no $KUBECONFIG")
		}
		s, t, err := readKubeconfig(path)
		if err != nil {
			log.Fatal(err)
		}
		host = s
		if bearer == "" {
			bearer = t
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	// Metrics first: the wrappers record into them (Argo: addK8sRequests registers with the global).
	metrics := newMetrics()
	addK8sRequests(metrics)

	// One config, wrapped as Argo's cmd/workflow-controller/main.go does it: logging, then metrics
	// (so a request goes user agent -> auth -> metrics -> logging -> transport).
	config := &restConfig{Host: host, BearerToken: bearer, QPS: *clientQPS, Burst: *clientBurst}
	addK8SLogTransportWrapper(config)
	addMetricsTransportWrapper(ctx, config)

	newClient := func(component string) *Client {
		c, err := newForConfig(config.forComponent(component))
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	wfClient := newClient("workflow-informer")
	podClient := newClient("pod-informer")
	reconcileClient := newClient("workflow-reconciler")
	cleanupClient := newClient("pod-cleanup")
	leaseClient := newClient("leader-election")
	eventClient := newClient("events")

	events := newEventRecorder(eventClient, *namespace)
	wfQueue := newWorkQueue("workflow", newTokenBucket(0, 1), metrics)
	cleanupQueue := newWorkQueue("pod_cleanup", newTokenBucket(*cleanupQPS, *cleanupBurst), metrics)

	wfs := newInformer("workflows", wfClient, fmt.Sprintf("/apis/argoproj.io/v1alpha1/namespaces/%s/workflows", *namespace), "",
		func(w *Workflow) *ObjectMeta { return &w.Metadata },
		func(_ string, w *Workflow) { wfQueue.Add(w.Metadata.Name) })
	pods := newInformer("pods", podClient, fmt.Sprintf("/api/v1/namespaces/%s/pods", *namespace), labelWorkflow,
		func(p *Pod) *ObjectMeta { return &p.Metadata },
		func(_ string, p *Pod) {
			if wf := p.Metadata.Labels[labelWorkflow]; wf != "" {
				wfQueue.Add(wf)
			}
		})

	cleanup := &podCleanup{namespace: *namespace, client: cleanupClient, execConfig: config.forComponent("pod-exec"), pods: pods,
		queue: cleanupQueue, events: events, metrics: metrics, deleteDelay: *podDeleteDelay, completing: map[string]bool{}}
	rec := &reconciler{namespace: *namespace, client: reconcileClient, wfs: wfs, pods: pods, queue: wfQueue,
		cleanup: cleanup, events: events, metrics: metrics}

	var bg sync.WaitGroup // informers, lease, events
	for _, run := range []func(context.Context){wfs.Run, pods.Run, events.run} {
		bg.Add(1)
		go func(run func(context.Context)) { defer bg.Done(); run(ctx) }(run)
	}
	addr, err := serveMetrics(ctx, *metricsAddr, metrics, func() bool { return wfs.HasSynced() && pods.HasSynced() })
	if err != nil {
		log.Fatal(err)
	}
	for !(wfs.HasSynced() && pods.HasSynced()) {
		if ctx.Err() != nil {
			os.Exit(0)
		}
		time.Sleep(20 * time.Millisecond)
	}

	var workers sync.WaitGroup
	rec.run(ctx, *wfWorkers, &workers)
	cleanup.run(ctx, *cleanupWorkers, &workers)
	identity, _ := os.Hostname()
	bg.Add(1)
	go func() {
		defer bg.Done()
		runLease(ctx, leaseClient, *namespace, fmt.Sprintf("%s_%d", identity, os.Getpid()), *leaseInterval)
	}()

	fmt.Printf("argo-race-controller ready build=%s metrics=http://%s/metrics\n", buildName, addr)

	<-ctx.Done()
	log.Printf("level=info msg=\"shutting down\"")
	wfQueue.ShutDown()
	cleanupQueue.ShutDown()
	done := make(chan struct{})
	go func() { workers.Wait(); bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		log.Printf("level=warning msg=\"workers did not stop within 10s; exiting anyway\"")
	}
	log.Printf("level=info msg=\"stopped\" requests_counted=%d", metrics.Sum(nameK8sRequestTotal))
	os.Exit(0)
}
