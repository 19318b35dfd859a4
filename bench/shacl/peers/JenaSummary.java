// Runs Apache Jena SHACL over a data file and a shapes file and prints the same one-line
// summary as `mpli shacl validate --report summary`, so bench/shacl/run.sh can compare
// result counts across engines. Exit: 0 conforms, 1 does not conform, 2 error.
import org.apache.jena.graph.Graph;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.shacl.ShaclValidator;
import org.apache.jena.shacl.Shapes;
import org.apache.jena.shacl.ValidationReport;

public final class JenaSummary {
  public static void main(String[] args) {
    String data = null;
    String shapes = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (args[i].equals("--data")) data = args[i + 1];
      else if (args[i].equals("--shapes")) shapes = args[i + 1];
    }
    if (data == null || shapes == null) {
      System.err.println("usage: JenaSummary --data D --shapes S");
      System.exit(2);
    }
    try {
      Graph shapesGraph = RDFDataMgr.loadGraph(shapes);
      Graph dataGraph = RDFDataMgr.loadGraph(data);
      ValidationReport report = ShaclValidator.get().validate(Shapes.parse(shapesGraph), dataGraph);
      System.out.println("conforms=" + report.conforms() + " results=" + report.getEntries().size());
      System.exit(report.conforms() ? 0 : 1);
    } catch (Exception e) {
      System.err.println("error: " + e);
      System.exit(2);
    }
  }
}
