// The Jena route of the resolver benchmark (bench/resolver/run.sh): load the exported catalogue
// and the verified facts into one in-memory graph, then validate each requirement shape
// (sh:targetClass mpli:Offering) and derive the conforming offerings = every mpli:Offering
// minus the focus nodes with a violation.
//
// usage: JenaConforming --data catalogue.nt --data facts.nt --shapes s1.ttl [--shapes s2.ttl ...]
//                       [--violating-out DIR]
// Prints "load <ms> <triples> <offerings>" then per shapes file
// "shape <file> <validate ms> <conforming> <violating>"; with --violating-out writes
// DIR/<shapes file name>.violating (one IRI a line).
import java.io.PrintWriter;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.shacl.ShaclValidator;
import org.apache.jena.shacl.Shapes;
import org.apache.jena.shacl.ValidationReport;
import org.apache.jena.shacl.validation.ReportEntry;
import org.apache.jena.sparql.graph.GraphFactory;
import org.apache.jena.vocabulary.RDF;

public final class JenaConforming {
  public static void main(String[] args) throws Exception {
    List<String> data = new ArrayList<>();
    List<String> shapes = new ArrayList<>();
    String violatingOut = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (args[i].equals("--data")) data.add(args[i + 1]);
      else if (args[i].equals("--shapes")) shapes.add(args[i + 1]);
      else if (args[i].equals("--violating-out")) violatingOut = args[i + 1];
    }
    long start = System.nanoTime();
    Graph graph = GraphFactory.createDefaultGraph();
    for (String file : data) RDFDataMgr.read(graph, file);
    Node offeringClass = NodeFactory.createURI("https://w3id.org/mpli#Offering");
    Set<Node> offerings = new HashSet<>();
    graph.find(Node.ANY, RDF.type.asNode(), offeringClass)
        .forEachRemaining(t -> offerings.add(t.getSubject()));
    System.out.printf("load %.0f %d %d%n", (System.nanoTime() - start) / 1e6, graph.size(),
        offerings.size());
    for (String file : shapes) {
      Shapes parsed = Shapes.parse(RDFDataMgr.loadGraph(file));
      long begin = System.nanoTime();
      ValidationReport report = ShaclValidator.get().validate(parsed, graph);
      Set<Node> violating = new HashSet<>();
      for (ReportEntry entry : report.getEntries()) violating.add(entry.focusNode());
      double ms = (System.nanoTime() - begin) / 1e6;
      int conforming = 0;
      for (Node offering : offerings) if (!violating.contains(offering)) ++conforming;
      System.out.printf("shape %s %.0f %d %d%n", Paths.get(file).getFileName(), ms, conforming,
          violating.size());
      if (violatingOut != null) {
        Path out = Paths.get(violatingOut, Paths.get(file).getFileName() + ".violating");
        try (PrintWriter writer = new PrintWriter(out.toFile(), "UTF-8")) {
          for (Node node : violating) writer.println(node.isURI() ? node.getURI() : node.toString());
        }
      }
    }
  }
}
